// The Node.js runtime client: polls the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) and runs
// the handler named by _HANDLER (file.export, CommonJS or ES module), as AWS's runtime does:
// async handlers, callback handlers, console lines prefixed with time, request id and level.
"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";
let requestId = "";

function call(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host, port, method, path: base + route, agent, headers: headers || {} },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
      });
    request.on("error", reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

function errorOf(error, fallbackType) {
  if (error instanceof Error) {
    return {
      errorType: error.name || fallbackType || "Error",
      errorMessage: error.message,
      trace: String(error.stack || "").split("\n"),
    };
  }
  return { errorType: fallbackType || "string", errorMessage: String(error), trace: [] };
}

for (const level of ["log", "info", "warn", "error", "debug", "trace"]) {
  const label = { log: "INFO", info: "INFO", warn: "WARN", error: "ERROR", debug: "DEBUG", trace: "TRACE" }[level];
  const stream = level === "error" || level === "warn" ? process.stderr : process.stdout;
  console[level] = (...args) => {
    const text = require("util").format(...args).replace(/\n/g, "\r");
    stream.write(`${new Date().toISOString()}\t${requestId || "undefined"}\t${label}\t${text}\n`);
  };
}

async function loadHandler() {
  const handler = process.env._HANDLER || "";
  const dot = handler.lastIndexOf(".");
  if (dot <= 0) {
    throw Object.assign(new Error(`Bad handler ${handler}`), { name: "Runtime.MalformedHandlerName" });
  }
  const modulePath = handler.slice(0, dot);
  const name = handler.slice(dot + 1);
  const root = process.env.LAMBDA_TASK_ROOT;
  let module;
  const base = path.resolve(root, modulePath);
  const esm = [".mjs"].map((ext) => base + ext).find((file) => fs.existsSync(file));
  try {
    module = esm ? await import(pathToFileURL(esm).href) : require(base);
  } catch (error) {
    if (error && error.code === "MODULE_NOT_FOUND") {
      throw Object.assign(new Error(`Error: Cannot find module '${modulePath}'`), { name: "Runtime.ImportModuleError" });
    }
    throw error;
  }
  const fn = module[name] !== undefined ? module[name] : module.default && module.default[name];
  if (typeof fn !== "function") {
    throw Object.assign(new Error(`${handler} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  }
  return fn;
}

function contextFor(headers) {
  const deadline = Number(headers["lambda-runtime-deadline-ms"]);
  const env = process.env;
  return {
    callbackWaitsForEmptyEventLoop: true,
    awsRequestId: headers["lambda-runtime-aws-request-id"],
    invokedFunctionArn: headers["lambda-runtime-invoked-function-arn"],
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: headers["lambda-runtime-client-context"] ? JSON.parse(headers["lambda-runtime-client-context"]) : undefined,
    identity: headers["lambda-runtime-cognito-identity"] ? JSON.parse(headers["lambda-runtime-cognito-identity"]) : undefined,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function runHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (error, result) => (error ? reject(error) : resolve(result));
    try {
      const outcome = fn(event, context, callback);
      if (outcome && typeof outcome.then === "function") outcome.then(resolve, reject);
    } catch (error) {
      reject(error);
    }
  });
}

async function main() {
  let fn;
  try {
    fn = await loadHandler();
  } catch (error) {
    const body = errorOf(error, "Runtime.UserCodeSyntaxError");
    console.error(`${body.errorType}: ${body.errorMessage}`);
    await call("POST", "/init/error", JSON.stringify(body), { "Lambda-Runtime-Function-Error-Type": body.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", "/invocation/next");
    const id = next.headers["lambda-runtime-aws-request-id"];
    requestId = id;
    process.env._X_AMZN_TRACE_ID = next.headers["lambda-runtime-trace-id"] || "";
    try {
      const event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
      const result = await runHandler(fn, event, contextFor(next.headers));
      const body = result === undefined ? "null" : JSON.stringify(result);
      await call("POST", `/invocation/${id}/response`, body === undefined ? "null" : body);
    } catch (error) {
      const body = errorOf(error);
      console.error(`Invoke Error \t${JSON.stringify(body)}`);
      await call("POST", `/invocation/${id}/error`, JSON.stringify(body), { "Lambda-Runtime-Function-Error-Type": body.errorType });
    }
  }
}

main();
