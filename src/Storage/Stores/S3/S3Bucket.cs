using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Bunker.Storage.Stores.S3;

/// <summary>
/// One S3-compatible bucket, shared by the repositories stored in it: the client, the retry policy (exponential
/// backoff with jitter, a timeout per attempt and a bounded total), and the request counts. Keys are full object
/// keys; <see cref="S3PackStore"/> maps a repository's objects onto them. Every PUT carries a Content-MD5, which S3
/// checks, and the ETag it answers is compared with it where the server returns a plain MD5, so a server that
/// stored other bytes than were sent is caught too.
/// </summary>
public sealed class S3Bucket : IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly ResiliencePipeline _pipeline;

    public S3Bucket(S3BucketOptions options)
    {
        options.Validate();
        Options = options;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.PathStyle,
            // Retries are ours (Polly), so that their budget is bounded and counted.
            MaxErrorRetry = 0,
            Timeout = options.AttemptTimeout,
            // Flexible checksums use aws-chunked bodies and trailers that S3 look-alikes often cannot read; Content-MD5
            // is understood everywhere and checked by S3 itself.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        _client = options.AccessKey is { } key
            ? new AmazonS3Client(options.SessionToken is { } token ? new SessionAWSCredentials(key, options.SecretKey, token) : new BasicAWSCredentials(key, options.SecretKey), config)
            : new AmazonS3Client(config);
        _pipeline = new ResiliencePipelineBuilder()
            .AddTimeout(options.TotalTimeout)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && IsTransient(e)),
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                OnRetry = _ =>
                {
                    Counts.Retry();
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    public S3BucketOptions Options { get; }
    public string Name => Options.Name;
    public S3RequestCounts Counts { get; } = new();

    /// <summary>Stores <paramref name="data"/> under <paramref name="key"/>: one PUT, or a multipart upload above the threshold.</summary>
    public Task PutAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        data.Length > Options.MultipartThreshold ? PutInPartsAsync(key, data, cancellationToken) : PutWholeAsync(key, data, cancellationToken);

    private async Task PutWholeAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        byte[] md5 = MD5.HashData(data.Span);
        var response = await RunAsync(key, async token =>
        {
            using var body = new ReadOnlyMemoryStream(data);
            var request = new PutObjectRequest
            {
                BucketName = Options.Bucket, Key = key, InputStream = body, AutoCloseStream = false, UseChunkEncoding = false,
                MD5Digest = Convert.ToBase64String(md5),
            };
            var answer = await _client.PutObjectAsync(request, token).ConfigureAwait(false);
            Counts.Put(data.Length);
            return answer;
        }, cancellationToken).ConfigureAwait(false);
        CheckETag(key, response.ETag, md5);
    }

    private async Task PutInPartsAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var started = await RunAsync(key, async token =>
        {
            var answer = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = Options.Bucket, Key = key }, token).ConfigureAwait(false);
            Counts.Part(0);
            return answer;
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            int number = 1;
            for (int offset = 0; offset < data.Length; offset += Options.PartSize, number++)
            {
                var part = data.Slice(offset, Math.Min(Options.PartSize, data.Length - offset));
                byte[] md5 = MD5.HashData(part.Span);
                int partNumber = number;
                var uploaded = await RunAsync(key, async token =>
                {
                    using var body = new ReadOnlyMemoryStream(part);
                    var answer = await _client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = Options.Bucket, Key = key, UploadId = started.UploadId, PartNumber = partNumber, InputStream = body,
                        PartSize = part.Length, MD5Digest = Convert.ToBase64String(md5), UseChunkEncoding = false,
                    }, token).ConfigureAwait(false);
                    Counts.Part(part.Length);
                    return answer;
                }, cancellationToken).ConfigureAwait(false);
                CheckETag(key, uploaded.ETag, md5);
                parts.Add(new PartETag(partNumber, uploaded.ETag));
            }
            await RunAsync(key, async token =>
            {
                var answer = await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                {
                    BucketName = Options.Bucket, Key = key, UploadId = started.UploadId, PartETags = parts,
                }, token).ConfigureAwait(false);
                Counts.Part(0);
                return answer;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Options.Bucket, Key = key, UploadId = started.UploadId }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The bucket's lifecycle rule for incomplete uploads is the backstop; the put's own failure is what matters.
            }
            throw;
        }
    }

    /// <summary>A single-part ETag is the MD5 of what the server stored; anything else (multipart, SSE-KMS) says nothing checkable.</summary>
    private void CheckETag(string key, string? etag, byte[] md5)
    {
        string? value = etag?.Trim('"');
        if (value is not { Length: 32 } || !value.All(char.IsAsciiHexDigit)) return;
        if (!string.Equals(value, Convert.ToHexStringLower(md5), StringComparison.OrdinalIgnoreCase))
            throw new StoreException($"store '{Name}': the server stored {key} with MD5 {value}, but {Convert.ToHexStringLower(md5)} was sent");
    }

    /// <summary>Reads [offset, offset+destination.Length) of <paramref name="key"/> (what exists of it, if it ends sooner).</summary>
    /// <returns>The object's size; null when it does not exist.</returns>
    public async Task<long?> ReadAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(key, async token =>
            {
                var request = new GetObjectRequest { BucketName = Options.Bucket, Key = key };
                if (destination.Length > 0) request.ByteRange = new ByteRange(offset, offset + destination.Length - 1);
                using var response = await _client.GetObjectAsync(request, token).ConfigureAwait(false);
                long size = ObjectSize(response, offset, destination.Length);
                int wanted = (int)Math.Min(destination.Length, Math.Max(0, size - offset));
                await using var body = response.ResponseStream;
                // A body that ends early is a broken transfer: the read is tried again.
                await body.ReadExactlyAsync(destination[..wanted], token).ConfigureAwait(false);
                Counts.Get(wanted);
                return (long?)size;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            Counts.Get(0);
            return null;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The range starts at or past the end: the object is shorter than the read needs.
            return await SizeAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a whole object; null when it does not exist.</summary>
    public async Task<byte[]?> ReadAllAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(key, async token =>
            {
                using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = Options.Bucket, Key = key }, token).ConfigureAwait(false);
                long size = response.ContentLength;
                if (size > Array.MaxLength) throw new StoreException($"store '{Name}': {key} is too large to read whole ({size} bytes)");
                var bytes = new byte[size];
                await using var body = response.ResponseStream;
                await body.ReadExactlyAsync(bytes, token).ConfigureAwait(false);
                Counts.Get(size);
                return bytes;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            Counts.Get(0);
            return null;
        }
    }

    /// <summary>The object's size, from a HEAD; null when it does not exist.</summary>
    public async Task<long?> SizeAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(key, async token =>
            {
                var response = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Options.Bucket, Key = key }, token).ConfigureAwait(false);
                Counts.Head();
                return (long?)response.ContentLength;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            Counts.Head();
            return null;
        }
    }

    /// <summary>Every key under <paramref name="prefix"/> with its size, page by page (ListObjectsV2).</summary>
    public async IAsyncEnumerable<(string Key, long Size)> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await ListPageAsync(prefix, null, continuation, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.S3Objects ?? [])
                yield return (item.Key, item.Size ?? 0);
            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (continuation is not null);
    }

    /// <summary>The "folders" directly under <paramref name="prefix"/> (ListObjectsV2 with the '/' delimiter).</summary>
    public async IAsyncEnumerable<string> ListFoldersAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? continuation = null;
        do
        {
            var page = await ListPageAsync(prefix, "/", continuation, cancellationToken).ConfigureAwait(false);
            foreach (var folder in page.CommonPrefixes ?? [])
                yield return folder;
            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (continuation is not null);
    }

    private Task<ListObjectsV2Response> ListPageAsync(string prefix, string? delimiter, string? continuation, CancellationToken cancellationToken) =>
        RunAsync(prefix, async token =>
        {
            var answer = await _client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = Options.Bucket, Prefix = prefix, Delimiter = delimiter, ContinuationToken = continuation, MaxKeys = 1000,
            }, token).ConfigureAwait(false);
            Counts.List();
            return answer;
        }, cancellationToken);

    /// <summary>Asks the bucket anything (a HEAD of a key that need not exist): returns when it answers, throws when it does not.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken) =>
        await SizeAsync(Options.Prefix + ".bunker-probe", cancellationToken).ConfigureAwait(false);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(key, async token =>
        {
            var answer = await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Options.Bucket, Key = key }, token).ConfigureAwait(false);
            Counts.Delete();
            return answer;
        }, cancellationToken);

    /// <summary>
    /// Runs one request under the retry policy. Transient failures (5xx, throttling, resets, timeouts) are retried
    /// within the budget and then become <see cref="StoreUnavailableException"/>; a refusal that retrying cannot mend
    /// (access denied, a missing bucket) becomes one at once. NOT_FOUND and a range past the end pass through for the
    /// caller to map.
    /// </summary>
    private async Task<T> RunAsync<T>(string key, Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async token => await request(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.RequestedRangeNotSatisfiable && e.ErrorCode != "NoSuchBucket")
        {
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException e)
        {
            throw new StoreUnavailableException(Name, $"{key}: no answer within {Options.TotalTimeout.TotalSeconds:0} s ({e.Message})", e);
        }
        catch (AmazonS3Exception e)
        {
            throw new StoreUnavailableException(Name, $"{key}: {(int)e.StatusCode} {e.ErrorCode}: {e.Message}", e);
        }
        catch (Exception e) when (e is AmazonClientException or HttpRequestException or IOException or TimeoutException or OperationCanceledException && e is not StoreException)
        {
            throw new StoreUnavailableException(Name, $"{key}: {e.Message}", e);
        }
    }

    /// <summary>Worth another attempt: the server or the path had a bad moment, not a refusal of the request.</summary>
    internal static bool IsTransient(Exception e) => e switch
    {
        StoreException => false,
        AmazonS3Exception s3 => (int)s3.StatusCode >= 500 || s3.StatusCode == HttpStatusCode.TooManyRequests
            || s3.ErrorCode is "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" or "RequestTimeTooSkewed",
        AmazonServiceException service => (int)service.StatusCode >= 500 || service.StatusCode == HttpStatusCode.TooManyRequests,
        // The SDK's own per-request timeout surfaces as System.TimeoutException.
        TimeoutRejectedException or TimeoutException or HttpRequestException or IOException or AmazonClientException => true,
        // The SDK reports its own timeout as a cancellation that nobody asked for.
        OperationCanceledException or TaskCanceledException => true,
        _ => false,
    };

    /// <summary>The object's full size, from Content-Range on a ranged read (or the length of a whole one).</summary>
    private static long ObjectSize(GetObjectResponse response, long offset, int wanted)
    {
        string? range = response.ContentRange;
        if (range is not null)
        {
            int slash = range.LastIndexOf('/');
            if (slash > 0 && long.TryParse(range.AsSpan(slash + 1), out long total)) return total;
        }
        return wanted == 0 ? response.ContentLength : offset + response.ContentLength;
    }

    public void Dispose() => _client.Dispose();

    /// <summary>A read-only stream over memory, so an attempt can send the same bytes again without a copy.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> data) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => _position = (int)Math.Clamp(value, 0, data.Length); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, data.Length - _position);
            data.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));
        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => data.Length + offset,
        };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
