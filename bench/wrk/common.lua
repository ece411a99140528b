-- What the wrk scripts of bench/wrk/ share: SigV4-shaped headers (the signature is not
-- checked on loopback, but its credential scope names the service in us-east-1), numbered
-- threads, and the one line "RESULT {json}" that bench/loadgen.py reads.
--
-- A script loads it from its own directory, whatever wrk's working directory:
--
--   local here = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") or "./"
--   package.path = here .. "?.lua;" .. package.path
--   local common = require("common")

local common = {}

local SIGNATURE = string.rep("0", 64)

-- Adds X-Amz-Date and an Authorization header scoped to `service`, naming `signed` (e.g.
-- "host;x-amz-date") as its signed headers, to `headers`; returns `headers`.
function common.sign(headers, service, signed)
  headers["X-Amz-Date"] = "20250101T000000Z"
  headers["Authorization"] =
    "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/" .. service .. "/aws4_request, "
    .. "SignedHeaders=" .. signed .. ", "
    .. "Signature=" .. SIGNATURE
  return headers
end

-- A json-protocol request (POST /, X-Amz-Target `target`) to `service`, as boto3 sends it.
function common.json_post(service, target, body)
  local headers = common.sign({
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = target,
  }, service, "content-type;host;x-amz-date;x-amz-target")
  return wrk.format("POST", "/", headers, body)
end

-- Every thread, in the order wrk made them (the main state's list, for done()).
common.threads = {}

-- wrk's setup(): gives each thread the global `thread_id` (1, 2...) its init() can read.
function common.setup(thread)
  thread:set("thread_id", #common.threads + 1)
  table.insert(common.threads, thread)
end

-- Prints the RESULT line; `deletes` is the DeleteMessages issued (bench/sqs.py's cycle).
function common.result(summary, latency, deletes)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"timeouts":%d,"deletes":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write, errors.timeout, deletes,
    latency:percentile(50), latency:percentile(99), latency.mean))
end

-- wrk's done() for a script that deletes nothing.
function common.done(summary, latency, _)
  common.result(summary, latency, 0)
end

return common
