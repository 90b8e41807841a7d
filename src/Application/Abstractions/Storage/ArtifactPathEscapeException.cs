namespace TinkerServer.Application.Abstractions.Storage;

/// <summary>
/// The storage refused a path that would leave the artifact root: it resolves outside the root or one of
/// its components under the root is a symbolic link (or junction). Ids are validated long before this,
/// so seeing it means the disk was tampered with or a bug let a bad id through; it is never followed.
/// </summary>
public sealed class ArtifactPathEscapeException(string message) : Exception(message);
