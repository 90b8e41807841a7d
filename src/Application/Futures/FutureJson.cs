using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Application.Futures;

/// <summary>
/// The canonical JSON of queued payloads and stored results. snake_case, so the small results are already
/// in their wire shape; tensors as {"dtype","shape","data"}. Deterministic, so equal requests hash equal.
/// </summary>
public static class FutureJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new TensorDataJsonConverter(), new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"Stored {typeof(T).Name} is null.");

    public static string Hash(string canonicalJson) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)));
}

/// <summary>TensorData as {"dtype": "float32"|"int64", "shape": [...], "data": [...]}.</summary>
public sealed class TensorDataJsonConverter : JsonConverter<TensorData>
{
    public override TensorData Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        var dtype = root.GetProperty("dtype").GetString();
        var shape = root.TryGetProperty("shape", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().Select(e => e.GetInt32()).ToArray()
            : null;
        var data = root.GetProperty("data");
        return dtype switch
        {
            "float32" => TensorData.FromFloats(data.EnumerateArray().Select(ReadFloat).ToArray(), shape),
            "int64" => TensorData.FromInts(data.EnumerateArray().Select(e => e.GetInt64()).ToArray(), shape),
            _ => throw new JsonException($"Unknown tensor dtype '{dtype}'."),
        };
    }

    public override void Write(Utf8JsonWriter writer, TensorData value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("dtype", value.DType == TensorDType.Float32 ? "float32" : "int64");
        writer.WriteStartArray("shape");
        foreach (var d in value.Shape)
        {
            writer.WriteNumberValue(d);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("data");
        if (value.Floats is { } floats)
        {
            foreach (var f in floats)
            {
                if (float.IsFinite(f))
                {
                    writer.WriteNumberValue(f);
                }
                else
                {
                    writer.WriteStringValue(float.IsNaN(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
                }
            }
        }
        else
        {
            foreach (var i in value.Ints!)
            {
                writer.WriteNumberValue(i);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static float ReadFloat(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "NaN" => float.NaN,
            "Infinity" => float.PositiveInfinity,
            "-Infinity" => float.NegativeInfinity,
            var other => throw new JsonException($"Invalid float '{other}'."),
        }
        : e.GetSingle();
}
