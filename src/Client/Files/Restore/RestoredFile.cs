using Microsoft.Win32.SafeHandles;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// A regular file whose content is on its way: its open descriptor, and how many chunk writes it still
/// waits for. The count starts at one for "more may be added"; whoever brings it to zero (the walk, or
/// the thread that wrote the last chunk) applies its metadata and closes it.
/// </summary>
internal sealed class RestoredFile(SafeFileHandle handle, WalkItem item, RestoreContext context)
{
    private int _pending = 1;
    private int _failed;

    public SafeFileHandle Handle { get; } = handle;
    public WalkItem Item { get; } = item;

    /// <summary>The batch that last took a write for this file (to count the files a batch holds open).</summary>
    public object? Batch { get; set; }

    public void Expect(int writes) => Interlocked.Add(ref _pending, writes);

    /// <summary>One expected write is done (or given up).</summary>
    public void Done()
    {
        if (Interlocked.Decrement(ref _pending) == 0) Finish();
    }

    /// <summary>The content cannot be written in full: warn once; the file keeps no mtime, so a rerun rewrites it.</summary>
    public void Fail(string message)
    {
        if (Interlocked.Exchange(ref _failed, 1) == 0) context.Warn(Item.Display, message);
    }

    /// <summary>Closes the file without finishing it (the restore is failing).</summary>
    public void Abandon() => Handle.Dispose();

    private void Finish()
    {
        if (Volatile.Read(ref _failed) == 0)
        {
            MetadataWriter.Apply(Handle, Item.Entry, Item.Display, context);
            context.AddFile();
        }
        Handle.Dispose();
        context.Progress.AddFile();
    }
}
