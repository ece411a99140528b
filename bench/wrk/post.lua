-- One fixed, SendMessage-sized JSON POST, as small as the gateway's per-request work allows
-- a server benchmark to be (bench/asgi_servers.py).

local here = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") or "./"
package.path = here .. "?.lua;" .. package.path -- common.lua, beside this script
local common = require("common")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
wrk.body = '{"QueueUrl":"http://127.0.0.1:4566/000000000000/bench","MessageBody":"'
  .. string.rep("x", 64) .. '"}'

done = common.done
