using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Infrastructure.Configuration;

namespace TinkerServer.Infrastructure.Storage;

/// <summary>
/// HMAC-SHA256 over "tinker-download-v1\n{run}\n{kind}\n{name}\n{expires}". No field can contain '\n'
/// (the id grammar forbids it), so the canonical string is unambiguous. The key comes from
/// TinkerServer:DownloadSigningKey or from a generated key file kept in the data directory.
/// </summary>
public sealed class HmacDownloadUrlSigner : IDownloadUrlSigner
{
    public const string KeyFileName = "download-signing.key";

    private const int MinimumKeyBytes = 16;
    private const int GeneratedKeyBytes = 32;
    private const int MaxSignatureLength = 128;

    private readonly byte[] _key;
    private readonly TimeProvider _timeProvider;

    public HmacDownloadUrlSigner(IOptions<TinkerServerOptions> options, TimeProvider timeProvider)
        : this(LoadOrCreateKey(options.Value), options.Value.DownloadUrlLifetime, timeProvider)
    {
    }

    internal HmacDownloadUrlSigner(byte[] key, TimeSpan lifetime, TimeProvider timeProvider)
    {
        if (key.Length < MinimumKeyBytes)
        {
            throw new InvalidOperationException($"The download signing key must be at least {MinimumKeyBytes} bytes.");
        }

        if (lifetime <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("TinkerServer:DownloadUrlLifetime must be positive.");
        }

        _key = key;
        Lifetime = lifetime;
        _timeProvider = timeProvider;
    }

    public TimeSpan Lifetime { get; }

    public SignedUrl Sign(CheckpointPath path) => Sign(path, _timeProvider.GetUtcNow() + Lifetime);

    public SignedUrl Sign(CheckpointPath path, DateTimeOffset expires)
    {
        ArgumentNullException.ThrowIfNull(path);
        var unix = expires.ToUnixTimeSeconds();
        var signature = Compute(path, unix);
        var url = $"/api/v1/training_runs/{path.TrainingRunId.Value}/checkpoints/{path.Type.ToKind()}/{path.Name.Value}/download?expires={unix}&sig={signature}";
        return new SignedUrl(url, DateTimeOffset.FromUnixTimeSeconds(unix), signature);
    }

    public DownloadUrlValidity Check(CheckpointPath path, long expiresUnix, string? signature, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrEmpty(signature) || signature.Length > MaxSignatureLength)
        {
            return DownloadUrlValidity.InvalidSignature;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(path, expiresUnix));
        var given = Encoding.UTF8.GetBytes(signature);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return DownloadUrlValidity.InvalidSignature;
        }

        return now.ToUnixTimeSeconds() >= expiresUnix ? DownloadUrlValidity.Expired : DownloadUrlValidity.Valid;
    }

    public bool Verify(CheckpointPath path, long expiresUnix, string? signature, DateTimeOffset now) =>
        Check(path, expiresUnix, signature, now) == DownloadUrlValidity.Valid;

    /// <summary>The configured key, else the persisted one, else a new one persisted owner-only.</summary>
    internal static byte[] LoadOrCreateKey(TinkerServerOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.DownloadSigningKey))
        {
            return Decode(options.DownloadSigningKey, "TinkerServer:DownloadSigningKey");
        }

        var directory = options.ResolvedDataDirectory;
        var keyPath = Path.Join(directory, KeyFileName);
        if (File.Exists(keyPath))
        {
            return Decode(File.ReadAllText(keyPath), keyPath);
        }

        Directory.CreateDirectory(directory);
        var key = RandomNumberGenerator.GetBytes(GeneratedKeyBytes);
        var temporary = keyPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, fileOptions))
        {
            stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            stream.Flush(flushToDisk: true);
        }

        try
        {
            // No-replace move: when two processes start together, the first key written wins for both.
            File.Move(temporary, keyPath, overwrite: false);
            return key;
        }
        catch (IOException) when (File.Exists(keyPath))
        {
            File.Delete(temporary);
            return Decode(File.ReadAllText(keyPath), keyPath);
        }
    }

    private static byte[] Decode(string base64, string source)
    {
        try
        {
            return Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"The download signing key in {source} is not valid base64.", e);
        }
    }

    private string Compute(CheckpointPath path, long expiresUnix)
    {
        var canonical = $"tinker-download-v1\n{path.TrainingRunId.Value}\n{path.Type.ToKind()}\n{path.Name.Value}\n{expiresUnix}";
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(canonical));
        return Base64Url.EncodeToString(mac);
    }
}
