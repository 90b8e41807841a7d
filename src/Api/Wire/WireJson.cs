using System.Text.Json;
using System.Text.Json.Serialization;

namespace TinkerServer.Api.Wire;

/// <summary>JSON helpers shared by the result DTOs of the older-SDK JSON wire.</summary>
internal static class WireJson
{
    /// <summary>
    /// Writes a float; non-finite values as the strings "NaN" / "Infinity" / "-Infinity" (what System.Text.Json's
    /// named floating-point literals produce), which Python float parsing accepts. JSON has no NaN number.
    /// </summary>
    public static void WriteFloat(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}

/// <summary>Base for converters of result DTOs that are only ever written.</summary>
internal abstract class WriteOnlyJsonConverter<T> : JsonConverter<T>
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException($"{typeof(T).Name} is a response DTO and is never read.");
}
