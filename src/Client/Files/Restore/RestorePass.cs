using Bunker.Client.Files.Catalog;
using Bunker.Client.Files.Native;

namespace Bunker.Client.Files.Restore;

/// <summary>
/// The writing pass: one walk over the catalog creates each entry as it comes (directories, files set to
/// their size, links, nodes) and queues file content into batches that are fetched and written with
/// positional writes; directories are finished as the walk leaves them, files as their last chunk lands.
/// </summary>
internal sealed class RestorePass(CatalogWalk walk, CatalogScope scope, TargetTree tree, ContentPipeline content, RestoreContext context)
{
    private readonly EntryWriter _writer = new(context);
    private readonly List<Segment> _segments = [];

    public async Task RunAsync()
    {
        while (await walk.ReadAsync().ConfigureAwait(false) is { } item)
        {
            var path = item.Entry.Path.Span;
            if (item.Kind == ItemKind.Directory)
            {
                tree.EnterDirectory(item);
                continue;
            }
            // Null: the directory could not be had, and was named in a warning once for all its entries.
            if (tree.Enter(CatalogPath.Parent(path)) is not { } directory) continue;
            var name = CatalogPath.Name(path);
            switch (item.Kind)
            {
                case ItemKind.File:
                    await RestoreFileAsync(directory, name.ToArray(), item).ConfigureAwait(false);
                    break;
                case ItemKind.Hardlink:
                    if (Link(directory, name, item)) context.AddLink();
                    break;
                case ItemKind.Symlink:
                    if (_writer.CreateSymlink(directory, name, item)) context.AddLink();
                    break;
                default:
                    if (_writer.CreateSpecial(directory, name, item)) context.AddSpecial();
                    break;
            }
        }
        tree.Close();
        await content.CompleteAsync().ConfigureAwait(false);
        foreach (var include in scope.Unmatched())
            context.Warn(include, "--include matched nothing in the snapshot");
    }

    private async Task RestoreFileAsync(DirectoryHandle directory, byte[] name, WalkItem item)
    {
        var layout = ContentLayout.For(item.ContentEntry, item.Display);
        var outcome = _writer.CreateFile(directory, name, item, (long)item.ContentEntry.Size, out var handle);
        if (outcome == EntryWriter.FileOutcome.AlreadyThere)
        {
            context.AddSkipped();
            context.Progress.AddFile();
            context.Progress.AddBytes(layout.StoredLength);
            return;
        }
        if (handle is null) return;
        var file = new RestoredFile(handle, item, context);
        try
        {
            await foreach (var chunk in walk.ContentAsync(item).ConfigureAwait(false))
            {
                layout.Map(chunk.Length, _segments, item.Display);
                await content.AddAsync(chunk.Digest, chunk.Length, file, _segments).ConfigureAwait(false);
            }
        }
        catch
        {
            file.Abandon();
            throw;
        }
        file.Done();
    }

    private bool Link(DirectoryHandle directory, ReadOnlySpan<byte> name, WalkItem item)
    {
        var origin = item.Origin!.Path;
        DirectoryHandle from;
        bool owned;
        try
        {
            from = tree.Find(CatalogPath.Parent(origin), out owned);
        }
        catch (IOException e)
        {
            context.Warn(item.Display, $"the directory of its first name '{CatalogPath.Display(origin)}': {e.Message}");
            return false;
        }
        try
        {
            return _writer.CreateHardlink(directory, name, from, CatalogPath.Name(origin), item);
        }
        finally
        {
            if (owned) from.Dispose();
        }
    }
}
