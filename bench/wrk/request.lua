-- One fixed request, for wrk: METHOD PATH [BODY]. A Lambda API path (/2015-03-31/...) gets
-- a SigV4-shaped Authorization header scoped to Lambda (not checked on loopback).
--
--   wrk -t1 -c8 -d5s -s bench/wrk/request.lua http://127.0.0.1:4566 -- GET /execute-api/ID/ping
--
-- done() prints one line "RESULT {json}" that bench/loadgen.py reads.

function init(args)
  wrk.method = args[1] or "GET"
  wrk.path = args[2] or "/"
  wrk.body = args[3]
  if string.sub(wrk.path, 1, 12) == "/2015-03-31/" then
    wrk.headers["X-Amz-Date"] = "20250101T000000Z"
    wrk.headers["Authorization"] =
      "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/lambda/aws4_request, "
      .. "SignedHeaders=host;x-amz-date, "
      .. "Signature=0000000000000000000000000000000000000000000000000000000000000000"
  end
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
      .. '"timeouts":%d,"deletes":0,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
