// The Node.js runtime client: polls the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API) and runs
// the handler named by _HANDLER (file.export, CommonJS or ES module), as AWS's runtime does:
// async handlers, callback handlers, console lines prefixed with time, request id and level.
"use strict";

const http = require("http");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");
const { Writable, finished } = require("stream");

// Response streaming, as AWS's Node.js runtime offers it: a handler wrapped in
// awslambda.streamifyResponse gets (event, responseStream, context) and writes chunks that
// reach the caller as they are written.
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
global.awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = "response";
    return handler;
  },
  HttpResponseStream: {
    from(stream, metadata) {
      stream.setContentType("application/vnd.awslambda.http-integration-response");
      stream.write(JSON.stringify(metadata || {}));
      stream.write(Buffer.alloc(8)); // the delimiter between the prelude and the body
      return stream;
    },
  },
};

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

function streamResponse(id, fn, event, context) {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host, port, method: "POST", agent,
      path: `${base}/invocation/${id}/response`,
      headers: {
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        "Transfer-Encoding": "chunked",
        Trailer: "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      },
    }, (response) => { response.resume(); response.on("end", resolve); });
    request.on("error", reject);
    const stream = new Writable({
      write(chunk, encoding, callback) { request.write(chunk, callback); },
    });
    stream.setContentType = (type) => request.setHeader("Content-Type", type);
    const fail = (error) => {
      const body = errorOf(error);
      console.error(`Invoke Error \t${JSON.stringify(body)}`);
      request.addTrailers({
        "Lambda-Runtime-Function-Error-Type": body.errorType,
        "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(body)).toString("base64"),
      });
      request.end();
    };
    Promise.resolve()
      .then(() => fn(event, stream, context))
      .then(() => {
        if (!stream.writableEnded) stream.end();
        finished(stream, (error) => (error ? fail(error) : request.end()));
      }, fail);
  });
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
      if (fn[STREAMING]) {
        await streamResponse(id, fn, event, contextFor(next.headers));
        continue;
      }
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
