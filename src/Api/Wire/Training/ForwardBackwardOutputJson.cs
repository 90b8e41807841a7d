using System.Text.Json;
using System.Text.Json.Serialization;
using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Api.Wire.Training;

/// <summary>JSON <c>ForwardBackwardOutput</c> for SDKs before 0.25 (and for 0.19–0.24 clients that accept JSON).</summary>
public sealed record ForwardBackwardOutputJson(
    [property: JsonPropertyName("loss_fn_output_type")] string LossFnOutputType,
    [property: JsonPropertyName("loss_fn_outputs")] IReadOnlyList<IReadOnlyDictionary<string, TensorDataJson>> LossFnOutputs,
    [property: JsonPropertyName("metrics")]
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)]
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>Tinker's JSON TensorData of a result: <c>{"data": [...], "dtype": "float32"|"int64", "shape": [...]}</c>.</summary>
[JsonConverter(typeof(TensorDataJsonConverter))]
public sealed record TensorDataJson(TensorData Tensor);

internal sealed class TensorDataJsonConverter : WriteOnlyJsonConverter<TensorDataJson>
{
    public override void Write(Utf8JsonWriter writer, TensorDataJson value, JsonSerializerOptions options)
    {
        var tensor = value.Tensor;
        writer.WriteStartObject();
        writer.WriteStartArray("data");
        if (tensor.Floats is not null)
        {
            foreach (var f in tensor.Floats)
            {
                WireJson.WriteFloat(writer, f);
            }
        }
        else
        {
            foreach (var i in tensor.Ints!)
            {
                writer.WriteNumberValue(i);
            }
        }

        writer.WriteEndArray();
        writer.WriteString("dtype", tensor.DType == TensorDType.Float32 ? "float32" : "int64");
        writer.WriteStartArray("shape");
        foreach (var d in tensor.Shape)
        {
            writer.WriteNumberValue(d);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
