namespace TinkerServer.Api.Wire.Training;

/// <summary>Rules for model input chunks shared by the protobuf and JSON readers.</summary>
internal static class ModelInputTokens
{
    public static void CheckNonNegative(ReadOnlySpan<int> tokens, string what)
    {
        foreach (var token in tokens)
        {
            if (token < 0)
            {
                throw WireFormatException.Unprocessable($"{what}: token id {token} is negative.");
            }
        }
    }

    /// <summary>Images and dMel audio need a multimodal backend, which this server does not have.</summary>
    public static WireFormatException UnsupportedChunk(string what, string type) =>
        WireFormatException.Unsupported($"{what}: '{type}' chunks are not supported; only encoded_text chunks are supported.");
}
