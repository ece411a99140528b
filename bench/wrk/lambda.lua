-- Lambda Invoke (RequestResponse) load for wrk, as boto3 would send it (the signature is not
-- checked on loopback, but its credential scope names Lambda in us-east-1).
--
--   wrk -t1 -c8 -d5s -s bench/wrk/lambda.lua http://127.0.0.1:4566 -- FUNCTION [PAYLOAD]
--
-- done() prints one line "RESULT {json}" that bench/loadgen.py reads.

local here = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") or "./"
package.path = here .. "?.lua;" .. package.path -- common.lua, beside this script
local common = require("common")

function init(args)
  local name, payload = args[1], args[2] or "{}"
  if not name then
    error("usage: -- FUNCTION [PAYLOAD]")
  end
  wrk.method = "POST"
  wrk.path = "/2015-03-31/functions/" .. name .. "/invocations"
  wrk.body = payload
  wrk.headers["Content-Type"] = "application/octet-stream"
  common.sign(wrk.headers, "lambda", "host;x-amz-date")
end

done = common.done
