// Drives a real bunkerd at argv[2] (host:port) with @grpc/grpc-js, an independent gRPC stack.
// argv[3] is the admin token. Prints one JSON object with what came back; the C# test asserts on it.
'use strict';
const crypto = require('crypto');
const path = require('path');
const { grpc, health } = require('./common');
const protoLoader = require('@grpc/proto-loader');

const root = path.resolve(__dirname, '..', '..');
const loaded = protoLoader.loadSync(['bunker/v1/repository.proto', 'bunker/v1/admin.proto'], {
  keepCase: false, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [path.join(root, 'proto')],
});
const v1 = grpc.loadPackageDefinition(loaded).bunker.v1;

const target = process.argv[2];
const adminToken = process.argv[3];
const insecure = grpc.credentials.createInsecure();
const repo = new v1.Repository(target, insecure);
const admin = new v1.Admin(target, insecure);
const healthClient = new health.Health(target, insecure);

const auth = (token) => { const md = new grpc.Metadata(); if (token) md.set('authorization', 'Bearer ' + token); return md; };
const deadline = (ms = 20000) => ({ deadline: new Date(Date.now() + ms) });
const unary = (client, method, request, token, ms) => new Promise((resolve) => {
  client[method](request, auth(token), deadline(ms), (err, reply) => resolve(err ? { code: err.code, details: err.details } : { code: 0, reply }));
});
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();

function backupSession(token, chunks) {
  return new Promise((resolve) => {
    const out = { responses: [] };
    const call = repo.backup(auth(token), deadline());
    const digests = chunks.map(sha256);
    call.write({ start: { repository: 'main', sourceKind: 'files', host: 'node', sourceId: '/srv', paths: ['/srv'], tags: ['interop'] } });
    call.on('data', (r) => {
      out.responses.push(r.kind);
      if (r.kind === 'started') {
        out.repositoryIdLength = r.started.repositoryId.length;
        call.write({ offer: { requestId: '7', digests: Buffer.concat(digests) } });
      } else if (r.kind === 'offerResult') {
        out.requestId = r.offerResult.requestId;
        out.missingCount = r.offerResult.missingCount;
        const bits = r.offerResult.missing;
        const puts = [];
        chunks.forEach((c, i) => { if (bits[i >> 3] & (1 << (i & 7))) puts.push({ digest: digests[i], encoding: 'CHUNK_ENCODING_NONE', rawLength: c.length, data: c }); });
        if (puts.length) call.write({ put: { chunks: puts } });
        const entries = Buffer.concat(chunks.map((c, i) => { const len = Buffer.alloc(4); len.writeUInt32LE(c.length); return Buffer.concat([digests[i], len]); }));
        call.write({ append: { archive: 'node', entries } });
        call.write({ commit: {} });
      } else if (r.kind === 'committed') {
        out.snapshotId = r.committed.id.toString('hex');
        out.size = r.committed.size;
        call.end();
      }
    });
    call.on('error', (e) => resolve({ ...out, code: e.code, details: e.details }));
    call.on('status', (s) => { if (s.code === 0) resolve({ ...out, code: 0 }); });
  });
}

function readChunks(token, digests) {
  return new Promise((resolve) => {
    const got = {};
    const call = repo.readChunks({ repository: 'main', digests: Buffer.concat(digests) }, auth(token), deadline());
    call.on('data', (c) => { got[c.digest.toString('hex')] = { encoding: c.encoding, rawLength: c.rawLength, data: c.data }; });
    call.on('error', (e) => resolve({ code: e.code, details: e.details }));
    call.on('status', (s) => { if (s.code === 0) resolve({ code: 0, got }); });
  });
}

function idleSession(token) {
  return new Promise((resolve) => {
    const call = repo.backup(auth(token), deadline(400));
    call.write({ start: { repository: 'main', sourceKind: 'files', host: 'node', sourceId: '/idle' } });
    call.on('data', () => {});
    call.on('error', (e) => resolve({ code: e.code, details: e.details }));
    call.on('status', (s) => { if (s.code === 0) resolve({ code: 0 }); });
  });
}

function oversizedPut(token) {
  return new Promise((resolve) => {
    const call = repo.backup(auth(token), deadline());
    call.write({ start: { repository: 'main', sourceKind: 'files', host: 'node', sourceId: '/big' } });
    const big = Buffer.alloc(20 * 1024 * 1024, 1);
    call.write({ put: { chunks: [{ digest: sha256(big), encoding: 'CHUNK_ENCODING_NONE', rawLength: big.length, data: big }] } });
    call.on('data', () => {});
    call.on('error', (e) => resolve({ code: e.code, details: e.details }));
    call.on('status', (s) => { if (s.code === 0) resolve({ code: 0 }); });
  });
}

async function main() {
  const result = {};
  result.health = await new Promise((resolve) => healthClient.check({ service: '' }, deadline(), (err, r) => resolve(err ? { code: err.code } : { status: r.status })));
  result.unauthenticated = await unary(repo, 'hello', {}, null);
  await unary(admin, 'createTenant', { name: 'nodeco' }, adminToken);
  await unary(admin, 'createRepository', { tenant: 'nodeco', name: 'main' }, adminToken);
  const created = await unary(admin, 'createToken', { tenant: 'nodeco', roles: ['ROLE_BACKUP', 'ROLE_RESTORE'] }, adminToken);
  const token = created.reply.token;
  const hello = await unary(repo, 'hello', { clientVersion: 'node', repository: 'main' }, token);
  result.hello = { code: hello.code, tenant: hello.reply.tenant, roles: hello.reply.roles, repositoryIdLength: hello.reply.repositoryId.length, repositories: hello.reply.repositories };
  result.permissionDenied = await unary(admin, 'createTenant', { name: 'evil' }, token);
  result.notFound = await unary(repo, 'hello', { repository: 'nope' }, token);

  const chunks = [crypto.randomBytes(100000), crypto.randomBytes(5000), Buffer.alloc(70000, 3)];
  result.backup = await backupSession(token, chunks);
  result.again = await backupSession(token, chunks);
  const read = await readChunks(token, chunks.map(sha256));
  result.read = { code: read.code, matches: read.code === 0 && chunks.every((c) => { const g = read.got[sha256(c).toString('hex')]; return g && g.encoding === 'CHUNK_ENCODING_NONE' ? Buffer.compare(g.data, c) === 0 : g && g.rawLength === c.length; }), count: read.got ? Object.keys(read.got).length : 0 };
  result.deadlineExceeded = await idleSession(token);
  result.resourceExhausted = await oversizedPut(token);
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
