using System.Buffers;

namespace TinkerServer.Domain.Common;

/// <summary>The grammar shared by every identifier a client may send.</summary>
public static class Identifier
{
    public const int MaxLength = 255;

    /// <summary>Names (checkpoints): letters, digits, '_' and '-'.</summary>
    public const string NamePattern = "^[A-Za-z0-9_-]{1,255}$";

    /// <summary>Run, session and sampler ids may also hold ':' (hosted ids look like "{uuid}:train:0").</summary>
    public const string ScopedIdPattern = "^[A-Za-z0-9_:-]{1,255}$";

    private static readonly SearchValues<char> NameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    private static readonly SearchValues<char> ScopedChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-:");

    public static bool IsValidName(ReadOnlySpan<char> value) =>
        value.Length is > 0 and <= MaxLength && !value.ContainsAnyExcept(NameChars);

    public static bool IsValidScopedId(ReadOnlySpan<char> value) =>
        value.Length is > 0 and <= MaxLength && !value.ContainsAnyExcept(ScopedChars);

    internal static string Describe(string? value)
    {
        if (value is null)
        {
            return "<null>";
        }

        // Never echo control characters or huge inputs back into messages and logs.
        var shown = value.Length > 64 ? value[..64] + "…" : value;
        return string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c));
    }
}
