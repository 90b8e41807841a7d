using System.Text.Json;
using TinkerServer.Api.Contracts;
using TinkerServer.Api.Wire.Training;
using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Api.Wire;

/// <summary>Turns the JSON asample body into the application's sampling input.</summary>
public static class SamplingWire
{
    public static SampleInput ToInput(SampleRequest request)
    {
        var prompt = Tokens(request.Prompt);
        var p = request.SamplingParams;
        return new SampleInput(
            prompt,
            request.NumSamples ?? 1,
            new SamplingParams(
                p?.MaxTokens,
                p?.Seed,
                StopTokens(p?.Stop),
                p?.Temperature ?? 1.0,
                p?.TopK ?? -1,
                p?.TopP ?? 1.0),
            request.PromptLogprobs == true || request.TopkPromptLogprobs is > 0,
            request.TopkPromptLogprobs ?? 0);
    }

    /// <summary>The prompt's tokens: encoded_text chunks concatenated; other chunk types need a multimodal model.</summary>
    public static int[] Tokens(ModelInputDto? input)
    {
        if (input?.Chunks is not { } chunks)
        {
            throw WireFormatException.Unprocessable("prompt.chunks is required.");
        }

        var tokens = new List<int>();
        foreach (var chunk in chunks)
        {
            if (chunk is null)
            {
                throw WireFormatException.Unprocessable("prompt.chunks must not contain null.");
            }

            if (chunk.Type is not (null or "encoded_text"))
            {
                throw ModelInputTokens.UnsupportedChunk("prompt", chunk.Type);
            }

            if (chunk.Tokens is null)
            {
                throw WireFormatException.Unprocessable("prompt: an encoded_text chunk needs tokens.");
            }

            ModelInputTokens.CheckNonNegative(chunk.Tokens, "prompt");

            tokens.AddRange(chunk.Tokens);
        }

        return [.. tokens];
    }

    /// <summary>stop: token ids are served; stop strings need a tokenizer this server does not have.</summary>
    public static IReadOnlyList<int> StopTokens(JsonElement? stop)
    {
        if (stop is not { } value || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return [];
        }

        if (value.ValueKind == JsonValueKind.String ||
            (value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.String)))
        {
            throw WireFormatException.Unsupported(
                "sampling_params.stop: stop strings need a tokenizer, which this server does not have; pass stop token ids instead.");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw WireFormatException.Unprocessable("sampling_params.stop must be a string, a list of strings or a list of token ids.");
        }

        var tokens = new List<int>();
        foreach (var element in value.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var token) || token < 0)
            {
                throw WireFormatException.Unprocessable("sampling_params.stop token ids must be non-negative integers.");
            }

            tokens.Add(token);
        }

        return tokens;
    }
}
