-- One fixed request, for wrk: METHOD PATH [BODY]. A Lambda API path (/2015-03-31/...) gets
-- a SigV4-shaped Authorization header scoped to Lambda (not checked on loopback).
--
--   wrk -t1 -c8 -d5s -s bench/wrk/request.lua http://127.0.0.1:4566 -- GET /execute-api/ID/ping
--
-- done() prints one line "RESULT {json}" that bench/loadgen.py reads.

local here = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") or "./"
package.path = here .. "?.lua;" .. package.path -- common.lua, beside this script
local common = require("common")

function init(args)
  wrk.method = args[1] or "GET"
  wrk.path = args[2] or "/"
  wrk.body = args[3]
  if string.sub(wrk.path, 1, 12) == "/2015-03-31/" then
    common.sign(wrk.headers, "lambda", "host;x-amz-date")
  end
end

done = common.done
