namespace TinkerServer.Infrastructure.Configuration;

/// <summary>The "TinkerServer" configuration section. Every default works with no setup.</summary>
public sealed class TinkerServerOptions
{
    public const string SectionName = "TinkerServer";

    /// <summary>Where the defaults below live.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Root of the artifact storage layouts; default {DataDirectory}/checkpoints.</summary>
    public string? CheckpointRoot { get; set; }

    /// <summary>Connection string; default a SQLite file {DataDirectory}/tinker.db. "Host=..." selects PostgreSQL.</summary>
    public string? Database { get; set; }

    /// <summary>Every Hugging Face-format model directory under it is served as a base model.</summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>The base model listed first by get_server_capabilities; default the built-in tiny model.</summary>
    public string? BaseModel { get; set; }

    /// <summary>
    /// Base64 HMAC key (at least 16 bytes) signing download URLs. When absent a random 32-byte key is
    /// generated once and kept in {DataDirectory}/download-signing.key (owner-only), so URLs survive restarts.
    /// Set it explicitly when several server instances must accept each other's URLs.
    /// </summary>
    public string? DownloadSigningKey { get; set; }

    /// <summary>How long a signed download URL stays valid (the archive endpoint's Expires); default 15 minutes.</summary>
    public TimeSpan DownloadUrlLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Scheme and host clients reach this server at (e.g. "https://tinker.example.org"), for absolute download
    /// URLs behind a proxy; default: taken from each request.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>How often sessions are checked for expiry and expired checkpoints purged.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the checkpoint root is walked for artifacts no checkpoint row names (first pass at start-up).</summary>
    public TimeSpan OrphanSweepInterval { get; set; } = TimeSpan.FromHours(1);

    public string ResolvedDataDirectory => Path.GetFullPath(DataDirectory);

    public string ResolvedCheckpointRoot => Path.GetFullPath(CheckpointRoot ?? Path.Combine(ResolvedDataDirectory, "checkpoints"));

    public string ResolvedDatabase => string.IsNullOrWhiteSpace(Database)
        ? $"Data Source={Path.Combine(ResolvedDataDirectory, "tinker.db")}"
        : Database;
}
