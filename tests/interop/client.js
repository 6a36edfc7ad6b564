// Calls a Bunker server at argv[2] (host:port) and prints one JSON object with what came back.
'use strict';
const { grpc, echo, health } = require('./common');

const target = process.argv[2];
const credentials = grpc.credentials.createInsecure();
const echoClient = new echo.Echo(target, credentials);
const healthClient = new health.Health(target, credentials);
const deadline = () => new Date(Date.now() + 10000);

function unary() {
  return new Promise((resolve) => {
    const md = new grpc.Metadata();
    md.set('x-echo-text', 'from node');
    md.set('x-echo-bin', Buffer.from([0, 1, 2, 255]));
    let headers = {};
    const call = echoClient.unary({ message: 'hello from node' }, md, { deadline: deadline() }, (err, reply) => {
      resolve(err ? { error: err.code, details: err.details } : { message: reply.message, headers });
    });
    call.on('metadata', (m) => {
      headers = { text: m.get('x-echo-text')[0], bin: Buffer.from(m.get('x-echo-bin')[0]).toString('hex') };
    });
  });
}

function unaryError() {
  return new Promise((resolve) => {
    echoClient.unary({ message: 'nope ✓ 100%', statusCode: 5 }, new grpc.Metadata(), { deadline: deadline() }, (err) => {
      resolve(err ? { code: err.code, details: err.details, detail: err.metadata.get('x-error-detail')[0] } : { code: 0 });
    });
  });
}

function serverStream() {
  return new Promise((resolve) => {
    const indexes = [];
    const call = echoClient.serverStream({ message: 's', count: 3 }, { deadline: deadline() });
    call.on('data', (r) => indexes.push(r.index));
    call.on('error', (e) => resolve({ error: e.code, details: e.details, indexes }));
    call.on('status', (s) => { if (s.code === 0) resolve({ indexes, code: s.code }); });
  });
}

function check(service) {
  return new Promise((resolve) => {
    healthClient.check({ service }, { deadline: deadline() }, (err, reply) => {
      resolve(err ? { code: err.code } : { status: reply.status });
    });
  });
}

(async () => {
  const result = {
    unary: await unary(),
    unaryError: await unaryError(),
    serverStream: await serverStream(),
    health: await check(''),
    healthUnknown: await check('no.such.Service'),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  echoClient.close();
  healthClient.close();
})();
