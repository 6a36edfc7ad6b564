using System.Runtime.InteropServices;
using System.Text;

namespace Bunker.Client.Files.Native;

/// <summary>
/// User and group names for ids, from getpwuid_r and getgrgid_r (so NSS: files, LDAP, sssd), each looked up once.
/// An id the host does not know has the empty name. Not thread-safe: one per walk.
/// </summary>
internal sealed unsafe class OwnerNames
{
    // struct passwd and struct group are under 64 bytes on every 64-bit glibc; the name is their first field.
    private const int RecordSize = 64;

    private readonly Dictionary<uint, string> _users = [];
    private readonly Dictionary<uint, string> _groups = [];
    private byte[] _buffer = new byte[16 << 10];

    public string User(uint uid)
    {
        if (!_users.TryGetValue(uid, out var name))
            _users[uid] = name = Lookup(uid, group: false);
        return name;
    }

    public string Group(uint gid)
    {
        if (!_groups.TryGetValue(gid, out var name))
            _groups[gid] = name = Lookup(gid, group: true);
        return name;
    }

    /// <summary>
    /// The uid and primary gid of the user named <paramref name="name"/> (for handing a restored data directory to
    /// the account that runs the database); false when the host has no such user.
    /// </summary>
    public static bool TryFindUser(string name, out uint uid, out uint gid)
    {
        // struct passwd on 64-bit glibc: char* pw_name, char* pw_passwd, then uid_t pw_uid and gid_t pw_gid.
        byte* record = stackalloc byte[RecordSize];
        var buffer = new byte[16 << 10];
        uid = gid = 0;
        while (true)
        {
            byte* result = null;
            int error;
            fixed (byte* b = buffer)
                error = LibC.GetPwNamR(name, record, b, (nuint)buffer.Length, &result);
            if (error == LibC.ERANGE && buffer.Length < (1 << 24))
            {
                buffer = new byte[buffer.Length * 4];
                continue;
            }
            if (error != 0 || result is null) return false;
            uid = *(uint*)(result + 2 * sizeof(nint));
            gid = *(uint*)(result + 2 * sizeof(nint) + sizeof(uint));
            return true;
        }
    }

    private string Lookup(uint id, bool group)
    {
        byte* record = stackalloc byte[RecordSize];
        while (true)
        {
            byte* result = null;
            int error;
            fixed (byte* b = _buffer)
            {
                error = group
                    ? LibC.GetGrGidR(id, record, b, (nuint)_buffer.Length, &result)
                    : LibC.GetPwUidR(id, record, b, (nuint)_buffer.Length, &result);
                if (error == 0 && result is not null)
                {
                    // The name points into _buffer, which is pinned only here: decode it before leaving.
                    byte* name = *(byte**)result;
                    return name is null ? "" : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name));
                }
            }
            if (error == LibC.ERANGE && _buffer.Length < (1 << 24))
            {
                _buffer = new byte[_buffer.Length * 4];
                continue;
            }
            return ""; // unknown id, or NSS failed: the id alone is recorded
        }
    }
}
