-- DynamoDB json-protocol load for wrk, as boto3 sends it (X-Amz-Target DynamoDB_20120810.*;
-- the signature is not checked on loopback, but its credential scope routes the request to
-- DynamoDB in us-east-1).
--
--   wrk -t1 -c32 -d5s -s bench/wrk/dynamodb.lua http://127.0.0.1:4566 -- MODE TABLE [PARTITION]
--
-- MODE: put     PutItem of a new item (partition "<PARTITION>-<thread>-<n>", sort key 0: give
--               each run a PARTITION of its own so that every put creates an item)
--       get     GetItem of a random item of PARTITION (sort keys 0..999)
--       update  UpdateItem "SET #n = #n + :one" on a random item of PARTITION, with the
--               ConditionExpression "attribute_exists(pk) AND #n < :max" (always true)
--       query   Query of 100 items of PARTITION: sk BETWEEN a random start and start + 99
-- Items have a string partition key `pk`, a number sort key `sk`, a 64-character string and a
-- number (bench/dynamodb.py creates them). done() prints one line "RESULT {json}" that
-- bench/loadgen.py reads; any status other than 2xx counts as an error.

local here = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$") or "./"
package.path = here .. "?.lua;" .. package.path -- common.lua, beside this script
local common = require("common")

local PARTITION_ITEMS = 1000
local QUERY_ITEMS = 100
local padding = string.rep("x", 64)
local mode, table_name, partition
local thread_id = 0
local counter = 0

local function post(operation, body)
  return common.json_post("dynamodb", "DynamoDB_20120810." .. operation, body)
end

local function put()
  counter = counter + 1
  return post("PutItem", string.format(
    '{"TableName":"%s","Item":{"pk":{"S":"%s-%d-%d"},"sk":{"N":"0"},'
      .. '"payload":{"S":"%s"},"n":{"N":"0"}}}',
    table_name, partition, thread_id, counter, padding))
end

local function get()
  return post("GetItem", string.format(
    '{"TableName":"%s","Key":{"pk":{"S":"%s"},"sk":{"N":"%d"}}}',
    table_name, partition, math.random(0, PARTITION_ITEMS - 1)))
end

local function update()
  return post("UpdateItem", string.format(
    '{"TableName":"%s","Key":{"pk":{"S":"%s"},"sk":{"N":"%d"}},'
      .. '"UpdateExpression":"SET #n = #n + :one",'
      .. '"ConditionExpression":"attribute_exists(pk) AND #n < :max",'
      .. '"ExpressionAttributeNames":{"#n":"n"},'
      .. '"ExpressionAttributeValues":{":one":{"N":"1"},":max":{"N":"1000000000000"}}}',
    table_name, partition, math.random(0, PARTITION_ITEMS - 1)))
end

local function query()
  local low = math.random(0, PARTITION_ITEMS - QUERY_ITEMS)
  return post("Query", string.format(
    '{"TableName":"%s","KeyConditionExpression":"pk = :p AND sk BETWEEN :lo AND :hi",'
      .. '"ExpressionAttributeValues":{":p":{"S":"%s"},":lo":{"N":"%d"},":hi":{"N":"%d"}}}',
    table_name, partition, low, low + QUERY_ITEMS - 1))
end

setup = common.setup

function init(args)
  mode, table_name, partition = args[1], args[2], args[3] or "hot"
  thread_id = _G.thread_id or 0
  math.randomseed(os.time() + thread_id * 7919)
  request = ({ put = put, get = get, update = update, query = query })[mode]
  if not request or not table_name then
    error("usage: -- put|get|update|query TABLE [PARTITION]")
  end
end

done = common.done
