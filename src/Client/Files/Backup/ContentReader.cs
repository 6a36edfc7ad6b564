using Bunker.Chunking;
using Bunker.Client.Backup;
using Bunker.Client.Wire;
using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Files.Backup;

/// <summary>
/// Reads one file's content (its data extents, or all of it) through a window of two maximum-size chunks and cuts it
/// into content-defined chunks. The chunker starts afresh at every file, so each file is a whole run of chunks.
/// Each chunk is copied into a pooled buffer, reserved against the reader's budget, and handed to <c>emit</c>.
/// </summary>
internal sealed class ContentReader(IChunkBoundary boundary, ByteBudget budget, Func<BackupItem, CancellationToken, ValueTask> emit)
{
    // One per backup, so not from ArrayPool.Shared: the shared pool would keep a 16 MiB array per thread that used one.
    private readonly byte[] _window = GC.AllocateUninitializedArray<byte>(checked(2 * boundary.MaxSize));
    private int _start;
    private int _end;

    /// <summary>Chunks handed over since the last <see cref="ResetCounts"/>.</summary>
    public long Chunks { get; private set; }

    /// <summary>Called with each run of bytes read (for progress).</summary>
    public Action<long>? OnRead { get; init; }

    /// <summary>
    /// Reads <paramref name="ranges"/> of the file in order and chunks them as one stream. Stops early when the file
    /// ends sooner (it shrank); returns the bytes read, which is what the payload holds for this file.
    /// </summary>
    /// <exception cref="IOException">A read failed; the chunks handed over so far stay in the payload, unreferenced.</exception>
    public async ValueTask<long> ReadAsync(SafeFileHandle file, IReadOnlyList<(long Offset, long Length)> ranges, CancellationToken cancellationToken)
    {
        _start = _end = 0;
        long total = 0;
        foreach (var (offset, length) in ranges)
        {
            long position = offset, end = offset + length;
            while (position < end)
            {
                if (_end == _window.Length) Slide();
                int want = (int)Math.Min(end - position, _window.Length - _end);
                int read = RandomAccess.Read(file, _window.AsSpan(_end, want), position);
                if (read == 0) goto ended; // shorter than its stat said: the caller sees fewer bytes than asked
                _end += read;
                position += read;
                total += read;
                OnRead?.Invoke(read);
                while (_end - _start >= boundary.MaxSize)
                    await CutAsync(final: false, cancellationToken).ConfigureAwait(false);
            }
        }
    ended:
        while (_end > _start)
            await CutAsync(final: true, cancellationToken).ConfigureAwait(false);
        return total;
    }

    public void ResetCounts() => Chunks = 0;

    /// <summary>Moves the pending bytes (less than MaxSize: we cut whenever a full window is there) to the front.</summary>
    private void Slide()
    {
        Buffer.BlockCopy(_window, _start, _window, 0, _end - _start);
        _end -= _start;
        _start = 0;
    }

    private async ValueTask CutAsync(bool final, CancellationToken cancellationToken)
    {
        int cut = boundary.NextCut(_window.AsSpan(_start, _end - _start), final);
        if (!budget.TryReserve(cut)) await budget.ReserveAsync(cut, cancellationToken).ConfigureAwait(false);
        var chunk = ChunkBuffers.Pool.Rent(cut);
        Buffer.BlockCopy(_window, _start, chunk, 0, cut);
        _start += cut;
        Chunks++;
        await emit(BackupItem.Payload(chunk, cut), cancellationToken).ConfigureAwait(false);
    }
}
