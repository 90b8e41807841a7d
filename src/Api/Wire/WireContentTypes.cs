namespace TinkerServer.Api.Wire;

/// <summary>Media types of the Tinker wire and the choice between protobuf and JSON.</summary>
public static class WireContentTypes
{
    public const string Protobuf = "application/x-protobuf";
    public const string Json = "application/json";
    public const string Zstd = "zstd";

    /// <summary>
    /// True when a retrieve_future answer should be protobuf: the Accept header mentions application/x-protobuf
    /// (SDK 0.25 sends only that; 0.18.1–0.24 send "application/x-protobuf, application/json"). Same rule as SkyRL.
    /// </summary>
    public static bool AcceptsProtobuf(string? accept) =>
        accept is not null && accept.Contains(Protobuf, StringComparison.OrdinalIgnoreCase);

    internal static bool IsProtobuf(string mediaType) =>
        mediaType.Equals(Protobuf, StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("application/protobuf", StringComparison.OrdinalIgnoreCase);

    internal static bool IsJson(string mediaType) =>
        mediaType.Equals(Json, StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The media type without parameters ("application/json; charset=utf-8" → "application/json").</summary>
    internal static string MediaTypeOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim();
    }
}
