// An Echo server on @grpc/grpc-js, so that Bunker's client can be checked against an independent
// stack. Prints the port it bound on the first line of stdout, then serves until killed.
'use strict';
const { grpc, echo } = require('./common');

function fail(request) {
  if (!request.statusCode) return null;
  const md = new grpc.Metadata();
  md.set('x-error-detail', 'from node');
  return { code: request.statusCode, details: request.message, metadata: md };
}

const server = new grpc.Server();
server.addService(echo.Echo.service, {
  unary(call, callback) {
    const error = fail(call.request);
    if (error) return callback(error);
    const headers = new grpc.Metadata();
    const text = call.metadata.get('x-echo-text');
    if (text.length) headers.set('x-echo-text', text[0]);
    call.sendMetadata(headers);
    callback(null, { message: call.request.message, index: 0 });
  },
  clientStream(call, callback) {
    const parts = [];
    call.on('data', (r) => parts.push(r.message));
    call.on('end', () => callback(null, { message: parts.join(','), index: parts.length }));
  },
  serverStream(call) {
    for (let i = 0; i < call.request.count; i++) call.write({ message: call.request.message, index: i });
    const error = fail(call.request);
    if (error) { call.emit('error', error); return; }
    call.end();
  },
  duplex(call) {
    let i = 0;
    call.on('data', (r) => call.write({ message: r.message, index: i++ }));
    call.on('end', () => call.end());
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(port + '\n');
});
