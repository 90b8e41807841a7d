using TinkerServer.Application.Abstractions.Storage;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// Defence in depth below the id grammar: a path must resolve under the root, and no component between the
/// root and the target may be a symbolic link or junction, so nothing outside the root is read, written or
/// removed even if someone planted a link on disk. (The root itself may be a link: that is the operator's choice.)
/// </summary>
internal static class PathGuard
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>A normalised absolute root without a trailing separator.</summary>
    public static string NormalizeRoot(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return full.Length == 0 ? Path.DirectorySeparatorChar.ToString() : full;
    }

    /// <summary>Joins <paramref name="components"/> under the root and refuses anything that leaves it.</summary>
    public static string Resolve(string root, IReadOnlyList<string> components)
    {
        var current = root;
        foreach (var component in components)
        {
            if (component.Length == 0 || component is "." or ".." || component.AsSpan().ContainsAny(Path.GetInvalidFileNameChars())
                || component.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal)
                || component.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new ArtifactPathEscapeException("Refused an artifact path component that is not a plain name.");
            }

            current = Path.Join(current, component);
        }

        var full = Path.GetFullPath(current);
        if (!IsStrictlyUnder(root, full))
        {
            throw new ArtifactPathEscapeException("Refused an artifact path that resolves outside the checkpoint root.");
        }

        return full;
    }

    /// <summary>True when <paramref name="fullPath"/> lies below <paramref name="root"/> (not the root itself, not a sibling like "root2").</summary>
    public static bool IsStrictlyUnder(string root, string fullPath)
    {
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return fullPath.Length > prefix.Length && fullPath.StartsWith(prefix, PathComparison);
    }

    /// <summary>
    /// Throws when the root-relative prefix of <paramref name="components"/> up to and including
    /// <paramref name="count"/> components contains an existing link. Missing components are fine (nothing to follow).
    /// </summary>
    public static void EnsureNoLinks(string root, IReadOnlyList<string> components, int count)
    {
        var current = root;
        for (var i = 0; i < count; i++)
        {
            current = Path.Join(current, components[i]);
            if (IsLink(new FileInfo(current)))
            {
                throw new ArtifactPathEscapeException("Refused to follow a symbolic link under the checkpoint root.");
            }
        }
    }

    /// <summary>True for symbolic links (dangling ones too), junctions and other reparse points.</summary>
    public static bool IsLink(FileSystemInfo info)
    {
        info.Refresh();
        if (info.LinkTarget is not null)
        {
            return true;
        }

        try
        {
            return (File.GetAttributes(info.FullName) & FileAttributes.ReparsePoint) != 0;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }
}
