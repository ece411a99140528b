-- SQS json-protocol load for wrk, as boto3 would send it (the signature is not checked on
-- loopback, but its credential scope routes the request to SQS in us-east-1).
--
--   wrk -t1 -c32 -d5s -s bench/wrk/sqs.lua http://127.0.0.1:4566 -- MODE QUEUE_URL
--
-- MODE: send   SendMessage, one message per request
--       batch  SendMessageBatch, ten messages per request
--       cycle  send, receive and delete: each thread receives what it sent and deletes it
-- done() prints one line "RESULT {json}" that bench/loadgen.py reads.

local here = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") or "./"
package.path = here .. "?.lua;" .. package.path -- common.lua, beside this script
local common = require("common")

local mode, queue_url
local thread_id = 0
local counter = 0
local padding = string.rep("x", 64)
-- cycle: handles received and not yet deleted; sends acknowledged and not yet received
local handles = {}
local ready = 0
deletes = 0

local function post(operation, body)
  return common.json_post("sqs", "AmazonSQS." .. operation, body)
end

local function next_body()
  counter = counter + 1
  return string.format("m-%d-%d %s", thread_id, counter, padding)
end

local function send()
  return post("SendMessage", string.format(
    '{"QueueUrl":"%s","MessageBody":"%s"}', queue_url, next_body()))
end

local function send_batch()
  local entries = {}
  for i = 1, 10 do
    entries[i] = string.format('{"Id":"e%d","MessageBody":"%s"}', i, next_body())
  end
  return post("SendMessageBatch", string.format(
    '{"QueueUrl":"%s","Entries":[%s]}', queue_url, table.concat(entries, ",")))
end

local function cycle()
  local handle = table.remove(handles)
  if handle then
    deletes = deletes + 1
    return post("DeleteMessage", string.format(
      '{"QueueUrl":"%s","ReceiptHandle":"%s"}', queue_url, handle))
  end
  if ready > 0 then
    ready = ready - 1
    return post("ReceiveMessage", string.format(
      '{"QueueUrl":"%s","MaxNumberOfMessages":1}', queue_url))
  end
  return send()
end

local function cycle_response(status, _, body)
  if status ~= 200 then
    return
  end
  local handle = body:match('"ReceiptHandle"%s*:%s*"([^"]+)"')
  if handle then
    table.insert(handles, handle)
  elseif body:find('"MD5OfMessageBody"', 1, true) then
    ready = ready + 1
  end
end

setup = common.setup

function init(args)
  mode, queue_url = args[1], args[2]
  thread_id = _G.thread_id or 0
  if mode == "send" then
    request = send
  elseif mode == "batch" then
    request = send_batch
  elseif mode == "cycle" then
    request = cycle
    response = cycle_response
  else
    error("unknown mode " .. tostring(mode) .. ": use send, batch or cycle")
  end
end

function done(summary, latency, _)
  local total_deletes = 0
  for _, thread in ipairs(common.threads) do
    total_deletes = total_deletes + (thread:get("deletes") or 0)
  end
  common.result(summary, latency, total_deletes)
end
