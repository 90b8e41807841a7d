using System.Text.Json;
using System.Text.Json.Serialization;

namespace TinkerServer.Api.Wire.Sampling;

/// <summary>JSON <c>SampleResponse</c> for SDKs before 0.18.1 / clients that do not accept protobuf.</summary>
/// <param name="PromptLogprobs">null entries where undefined (the first token); omitted when not requested.</param>
/// <param name="TopkPromptLogprobs">A null row where undefined; omitted when not requested.</param>
public sealed record SampleResponseJson(
    [property: JsonPropertyName("sequences")] IReadOnlyList<SampledSequenceJson> Sequences,
    [property: JsonPropertyName("prompt_logprobs")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    IReadOnlyList<float?>? PromptLogprobs,
    [property: JsonPropertyName("topk_prompt_logprobs")]
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<IReadOnlyList<TopkEntryJson>?>? TopkPromptLogprobs)
{
    [JsonPropertyName("type")]
    public string Type => "sample";

    [JsonPropertyName("prompt_cache_hit_tokens")]
    public int PromptCacheHitTokens => 0;
}

/// <param name="StopReason">"stop" or "length".</param>
public sealed record SampledSequenceJson(
    [property: JsonPropertyName("stop_reason")] string StopReason,
    [property: JsonPropertyName("tokens")] IReadOnlyList<int> Tokens,
    [property: JsonPropertyName("logprobs")]
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    IReadOnlyList<float>? Logprobs);

/// <summary>One top-k cell, written as the pair <c>[token_id, logprob]</c> the SDK reads as a tuple.</summary>
[JsonConverter(typeof(TopkEntryJsonConverter))]
public readonly record struct TopkEntryJson(int Token, float Logprob);

internal sealed class TopkEntryJsonConverter : WriteOnlyJsonConverter<TopkEntryJson>
{
    public override void Write(Utf8JsonWriter writer, TopkEntryJson value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.Token);
        WireJson.WriteFloat(writer, value.Logprob);
        writer.WriteEndArray();
    }
}
