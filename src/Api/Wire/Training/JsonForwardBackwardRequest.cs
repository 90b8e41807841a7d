using System.Text.Json;

namespace TinkerServer.Api.Wire.Training;

// JSON bodies of forward_backward / forward as SDKs before 0.25 send them (snake_case; unknown fields ignored).

internal sealed record JsonForwardBackwardRequest(
    string? ModelId,
    long? SeqId,
    JsonForwardBackwardInput? ForwardBackwardInput,
    JsonForwardBackwardInput? ForwardInput,
    bool? ForwardOnly);

internal sealed record JsonForwardBackwardInput(
    IReadOnlyList<JsonDatum?>? Data,
    string? LossFn,
    IReadOnlyDictionary<string, double>? LossFnConfig);

internal sealed record JsonDatum(JsonModelInput? ModelInput, IReadOnlyDictionary<string, JsonTensorData?>? LossFnInputs);

internal sealed record JsonModelInput(IReadOnlyList<JsonChunk?>? Chunks);

/// <summary>Any chunk variant; only <c>encoded_text</c> is decoded further.</summary>
internal sealed record JsonChunk(string? Type, int[]? Tokens);

/// <summary>
/// Tinker's TensorData. <see cref="Data"/> stays a raw element because int64 values must not pass through double.
/// </summary>
internal sealed record JsonTensorData(
    JsonElement Data,
    string? Dtype,
    long[]? Shape,
    long[]? SparseCrowIndices,
    long[]? SparseColIndices);
