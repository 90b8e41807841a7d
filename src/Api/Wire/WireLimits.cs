namespace TinkerServer.Api.Wire;

/// <summary>
/// Bounds that keep a hostile request body from exhausting memory. Bindable from configuration
/// (e.g. section "TinkerServer:Wire"); the defaults fit SDK chunks (≤ 5 MB estimated proto each) with room.
/// </summary>
public sealed class WireLimits
{
    public const string SectionName = "TinkerServer:Wire";

    private const long MiB = 1024 * 1024;

    /// <summary>Bytes read from the request body as sent (before decompression).</summary>
    public long MaxBodyBytes { get; set; } = 256 * MiB;

    /// <summary>Bytes a zstd body may decompress to; checked against the frame header before decoding.</summary>
    public long MaxDecompressedBytes { get; set; } = 256 * MiB;

    /// <summary>
    /// Bytes all decoded tensors of one request may occupy once dense. Sparse CSR tensors are tiny on the wire
    /// but can declare a huge dense shape, so this bound is separate from the body bounds.
    /// </summary>
    public long MaxDecodedTensorBytes { get; set; } = 256 * MiB;

    /// <summary>Throws when a bound is not positive or exceeds what one byte array can hold.</summary>
    public void Validate()
    {
        Check(MaxBodyBytes, nameof(MaxBodyBytes));
        Check(MaxDecompressedBytes, nameof(MaxDecompressedBytes));
        if (MaxDecodedTensorBytes <= 0)
        {
            throw new InvalidOperationException($"{nameof(MaxDecodedTensorBytes)} must be positive.");
        }
    }

    private static void Check(long value, string name)
    {
        // Bodies are materialised in one array, so Array.MaxLength is a hard ceiling.
        if (value <= 0 || value > Array.MaxLength)
        {
            throw new InvalidOperationException($"{name} must be between 1 and {Array.MaxLength}.");
        }
    }
}
