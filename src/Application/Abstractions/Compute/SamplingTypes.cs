namespace TinkerServer.Application.Abstractions.Compute;

/// <param name="MaxTokens">New tokens at most; null = the backend's default.</param>
/// <param name="Seed">Sample i of a request uses seed + i; null = a random seed.</param>
/// <param name="Temperature">0 = greedy.</param>
/// <param name="TopK">-1 = off.</param>
/// <param name="TopP">1 = off.</param>
public sealed record SamplingParams(
    int? MaxTokens,
    ulong? Seed,
    IReadOnlyList<int> StopTokens,
    double Temperature = 1.0,
    int TopK = -1,
    double TopP = 1.0);

public sealed record SampleInput(
    int[] Prompt,
    int NumSamples,
    SamplingParams Params,
    bool IncludePromptLogprobs,
    int TopkPromptLogprobs);

public enum StopReason
{
    Stop = 0,
    Length = 1,
}

/// <param name="Logprobs">Log-softmax of the raw logits at each chosen token.</param>
public sealed record SampledSequence(StopReason StopReason, int[] Tokens, float[] Logprobs);

public readonly record struct TokenLogprob(int Token, float Logprob);

/// <param name="PromptLogprobs">One per prompt token, NaN for the first (undefined); null when not requested.</param>
/// <param name="TopkPromptLogprobs">One row per prompt token, null for the first; highest first; null when not requested.</param>
public sealed record SampleOutput(
    IReadOnlyList<SampledSequence> Sequences,
    float[]? PromptLogprobs,
    IReadOnlyList<IReadOnlyList<TokenLogprob>?>? TopkPromptLogprobs);
