-- Lambda Invoke with InvocationType=Event (an asynchronous invocation, answered 202 once the
-- event is queued durably), as boto3 sends it; the signature is not checked on loopback.
--
--   wrk -t1 -c32 -d5s -s bench/wrk/async_invoke.lua http://127.0.0.1:4566 -- FUNCTION [PAYLOAD]
--
-- done() prints one line "RESULT {json}" that bench/loadgen.py reads; a status other than
-- 202 counts as an error.

local here = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") or "./"
package.path = here .. "?.lua;" .. package.path -- common.lua, beside this script
local common = require("common")

function init(args)
  local name, payload = args[1], args[2] or '{"hello":"world"}'
  if not name then
    error("usage: -- FUNCTION [PAYLOAD]")
  end
  wrk.method = "POST"
  wrk.path = "/2015-03-31/functions/" .. name .. "/invocations"
  wrk.body = payload
  wrk.headers["Content-Type"] = "application/octet-stream"
  wrk.headers["X-Amz-Invocation-Type"] = "Event"
  common.sign(wrk.headers, "lambda", "host;x-amz-date;x-amz-invocation-type")
end

accepted = 0

function response(status, _, _)
  if status ~= 202 then
    wrk.thread:stop()
  end
end

done = common.done
