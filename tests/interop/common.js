// Loads the Echo and Health protos with @grpc/proto-loader (an independent gRPC stack from Bunker's).
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const root = path.resolve(__dirname, '..', '..');
const options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };
const echo = grpc.loadPackageDefinition(protoLoader.loadSync(
  path.join(root, 'tests/Bunker.Protocol.Tests/Protos/echo.proto'), options)).bunker.test;
const health = grpc.loadPackageDefinition(protoLoader.loadSync(
  'grpc/health/v1/health.proto', { ...options, includeDirs: [path.join(root, 'proto')] })).grpc.health.v1;

module.exports = { grpc, echo, health };
