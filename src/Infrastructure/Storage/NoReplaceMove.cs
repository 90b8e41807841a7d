using System.Runtime.InteropServices;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// Publishes a file under a name only if that name is free, atomically. File.Move(overwrite: false) checks
/// and renames in two steps on Unix, so two concurrent commits could both "win"; link(2) fails with EEXIST
/// when anything (file, directory, link) holds the name. On Windows MoveFileEx without REPLACE_EXISTING is
/// already atomic. File systems without hard links fall back to a process-wide lock around check + move.
/// </summary>
internal static partial class NoReplaceMove
{
    private const int EExist = 17; // same value on Linux and macOS
    private const int ENoEnt = 2;

    private static readonly Lock FallbackLock = new();

    /// <summary>Moves <paramref name="source"/> to <paramref name="destination"/>; false when the destination exists.</summary>
    public static bool TryMove(string source, string destination)
    {
        if (!OperatingSystem.IsWindows())
        {
            if (Link(source, destination) == 0)
            {
                File.Delete(source);
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EExist)
            {
                return false;
            }

            if (errno == ENoEnt)
            {
                throw new FileNotFoundException("The staged artifact or its target folder is missing.", source);
            }

            // EPERM / ENOTSUP / EXDEV / EMLINK: no hard links here; use the locked fallback.
        }

        lock (FallbackLock)
        {
            if (Directory.Exists(destination) || File.Exists(destination))
            {
                return false;
            }

            try
            {
                File.Move(source, destination, overwrite: false);
                return true;
            }
            catch (IOException) when (Directory.Exists(destination) || File.Exists(destination))
            {
                return false;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newPath);
}
