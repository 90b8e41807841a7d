using System.Text.Json;

namespace TinkerServer.Api.Contracts;

public sealed record CreateSamplingSessionRequest(string? SessionId, long? SamplingSessionSeqId, string? BaseModel, string? ModelPath);

public sealed record CreateSamplingSessionResponse(string SamplingSessionId)
{
    public string Type => "create_sampling_session";
}

public sealed record SamplerResponse(string SamplerId, string BaseModel, string? ModelPath);

public sealed record ChunkDto(string? Type, int[]? Tokens);

public sealed record ModelInputDto(IReadOnlyList<ChunkDto?>? Chunks);

/// <param name="Stop">A string, a list of strings, or a list of token ids.</param>
public sealed record SamplingParamsDto(int? MaxTokens, ulong? Seed, JsonElement? Stop, double? Temperature, int? TopK, double? TopP);

public sealed record SampleRequest(
    string? SamplingSessionId,
    long? SeqId,
    ModelInputDto? Prompt,
    int? NumSamples,
    SamplingParamsDto? SamplingParams,
    bool? PromptLogprobs,
    int? TopkPromptLogprobs,
    string? BaseModel,
    string? ModelPath);
