-- Lambda Invoke (RequestResponse) load for wrk, as boto3 would send it (the signature is not
-- checked on loopback, but its credential scope names Lambda in us-east-1).
--
--   wrk -t1 -c8 -d5s -s bench/wrk/lambda.lua http://127.0.0.1:4566 -- FUNCTION [PAYLOAD]
--
-- done() prints one line "RESULT {json}" that bench/loadgen.py reads.

function init(args)
  local name, payload = args[1], args[2] or "{}"
  if not name then
    error("usage: -- FUNCTION [PAYLOAD]")
  end
  wrk.method = "POST"
  wrk.path = "/2015-03-31/functions/" .. name .. "/invocations"
  wrk.body = payload
  wrk.headers["Content-Type"] = "application/octet-stream"
  wrk.headers["X-Amz-Date"] = "20250101T000000Z"
  wrk.headers["Authorization"] =
    "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/lambda/aws4_request, "
    .. "SignedHeaders=host;x-amz-date, "
    .. "Signature=0000000000000000000000000000000000000000000000000000000000000000"
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
