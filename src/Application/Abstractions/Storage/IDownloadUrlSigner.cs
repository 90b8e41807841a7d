using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Application.Abstractions.Storage;

/// <summary>
/// Issues and checks the self-authorising download URLs that the archive endpoint redirects to: the SDK
/// fetches them with plain urllib and no API key, so the URL itself carries the permission, bounded in time.
/// </summary>
public interface IDownloadUrlSigner
{
    /// <summary>How long a URL from <see cref="Sign(CheckpointPath)"/> stays valid.</summary>
    TimeSpan Lifetime { get; }

    /// <summary>Signs a URL valid until now + <see cref="Lifetime"/>.</summary>
    SignedUrl Sign(CheckpointPath path);

    /// <summary>Signs a URL valid until <paramref name="expires"/> (truncated to whole seconds).</summary>
    SignedUrl Sign(CheckpointPath path, DateTimeOffset expires);

    /// <summary>Checks the signature (constant time) and then the expiry.</summary>
    DownloadUrlValidity Check(CheckpointPath path, long expiresUnix, string? signature, DateTimeOffset now);

    /// <summary>True only when <see cref="Check"/> answers <see cref="DownloadUrlValidity.Valid"/>.</summary>
    bool Verify(CheckpointPath path, long expiresUnix, string? signature, DateTimeOffset now);
}

/// <param name="RelativeUrl">
/// "/api/v1/training_runs/{run}/checkpoints/{kind}/{name}/download?expires={unix}&amp;sig={sig}", run id literal
/// (':' is not escaped; the SDK sends ids unencoded). Prefix the externally visible scheme and host.
/// </param>
/// <param name="ExpiresAt">The expiry, whole seconds, for the Expires header.</param>
/// <param name="Signature">The sig query value (base64url, no padding).</param>
public sealed record SignedUrl(string RelativeUrl, DateTimeOffset ExpiresAt, string Signature);

public enum DownloadUrlValidity
{
    Valid = 0,

    /// <summary>Missing, malformed or not ours for this checkpoint and expiry.</summary>
    InvalidSignature = 1,

    /// <summary>Genuine but past its expiry.</summary>
    Expired = 2,
}
