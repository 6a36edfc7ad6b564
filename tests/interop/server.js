// A grpc-js Echo server (Unary and Duplex) on 127.0.0.1 and a free port. Prints {"port":N} and runs until stdin closes.
'use strict';
const { grpc, echo } = require('./common');

const server = new grpc.Server();
server.addService(echo.Echo.service, {
  unary(call, callback) {
    const text = call.metadata.get('x-echo-text')[0];
    if (call.request.statusCode) {
      const trailers = new grpc.Metadata();
      trailers.set('x-node-trailer', 'sorry');
      callback({ code: call.request.statusCode, details: call.request.message, metadata: trailers });
      return;
    }
    callback(null, { message: `node:${call.request.message}:${text || ''}`, index: 0 });
  },
  duplex(call) {
    let i = 0;
    call.on('data', (r) => call.write({ message: `node:${r.message}`, index: i++ }));
    call.on('end', () => call.end());
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify({ port }) + '\n');
});
process.stdin.on('end', () => server.forceShutdown());
process.stdin.resume();
