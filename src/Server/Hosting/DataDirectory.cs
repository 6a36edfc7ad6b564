using Bunker.Storage.Crypto;

namespace Bunker.Server.Hosting;

/// <summary>
/// The files bunkerd keeps directly in its data directory: master.key (unless BUNKER_MASTER_KEY_FILE
/// or BUNKER_PASSPHRASE is given), admin.token, index/ and repos/.
/// </summary>
public static class DataDirectory
{
    public static string MasterKeyPath(string data) => Path.Combine(data, "master.key");
    public static string AdminTokenPath(string data) => Path.Combine(data, "admin.token");
    public static string IndexPath(string data) => Path.Combine(data, "index");

    /// <summary>
    /// Loads the master key from BUNKER_PASSPHRASE, BUNKER_MASTER_KEY_FILE, or DIR/master.key, generating
    /// the last (0600) when none of them exists yet. <paramref name="say"/> hears about a generated key.
    /// </summary>
    public static MasterKey LoadOrCreateMasterKey(string data, Func<string, string?> env, Action<string> say)
    {
        if (env("BUNKER_PASSPHRASE") is { Length: > 0 } passphrase)
            return MasterKey.FromPassphrase(passphrase);
        if (env("BUNKER_MASTER_KEY_FILE") is { Length: > 0 } keyFile)
            return MasterKey.FromKeyFile(keyFile);
        string path = MasterKeyPath(data);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(data);
            MasterKey.GenerateKeyFile(path);
            say($"generated master key {Path.GetFullPath(path)} (0600): keep a copy off this machine; without it the backups cannot be read");
        }
        return MasterKey.FromKeyFile(path);
    }

    /// <summary>Writes the bootstrap admin token, readable by the owner only, atomically.</summary>
    public static void WriteAdminToken(string data, string token)
    {
        string path = AdminTokenPath(data);
        string temp = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, fileOptions))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(token + "\n"));
            stream.Flush(flushToDisk: true);
        }
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }
}
