using System.Text.Json;
using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Api.Wire.Training;

/// <summary>Decodes the JSON forward / forward_backward bodies into the same application batch as the protobuf path.</summary>
internal static class JsonForwardBackwardRequestMapper
{
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = false,
    };

    public static ForwardBackwardWireRequest Decode(ReadOnlySpan<byte> body, ForwardBackwardRoute route, WireLimits limits)
    {
        JsonForwardBackwardRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<JsonForwardBackwardRequest>(body, Options);
        }
        catch (JsonException ex)
        {
            throw WireFormatException.Unprocessable($"The body is not a valid JSON request: {ex.Message}", ex);
        }

        if (request is null)
        {
            throw WireFormatException.Unprocessable("The body must be a JSON object.");
        }

        return ToWireRequest(request, route, limits);
    }

    private static ForwardBackwardWireRequest ToWireRequest(JsonForwardBackwardRequest request, ForwardBackwardRoute route, WireLimits limits)
    {
        if (string.IsNullOrEmpty(request.ModelId))
        {
            throw WireFormatException.Unprocessable("model_id is required.");
        }

        if (request.SeqId < 0)
        {
            throw WireFormatException.Unprocessable($"seq_id must not be negative (got {request.SeqId}).");
        }

        var inputName = route == ForwardBackwardRoute.Forward ? "forward_input" : "forward_backward_input";
        var input = (route == ForwardBackwardRoute.Forward ? request.ForwardInput : request.ForwardBackwardInput)
            ?? throw WireFormatException.Unprocessable($"{inputName} is required.");
        if (input.Data is null)
        {
            throw WireFormatException.Unprocessable($"{inputName}.data is required.");
        }

        if (string.IsNullOrEmpty(input.LossFn))
        {
            throw WireFormatException.Unprocessable($"{inputName}.loss_fn is required.");
        }

        var budget = new TensorBudget(limits.MaxDecodedTensorBytes);
        var data = new Datum[input.Data.Count];
        for (var i = 0; i < data.Length; i++)
        {
            var what = $"{inputName}.data[{i}]";
            data[i] = ToDatum(input.Data[i] ?? throw WireFormatException.Unprocessable($"{what} must not be null."), what, budget);
        }

        var config = new Dictionary<string, double>(input.LossFnConfig ?? new Dictionary<string, double>(), StringComparer.Ordinal);
        return new ForwardBackwardWireRequest(
            request.ModelId,
            request.SeqId,
            route == ForwardBackwardRoute.Forward || request.ForwardOnly == true,
            new ForwardBackwardBatch(data, input.LossFn, config));
    }

    private static Datum ToDatum(JsonDatum datum, string what, TensorBudget budget)
    {
        var chunks = datum.ModelInput?.Chunks ?? throw WireFormatException.Unprocessable($"{what}.model_input.chunks is required.");
        var tokens = new List<int>();
        for (var c = 0; c < chunks.Count; c++)
        {
            var chunkWhat = $"{what}.model_input.chunks[{c}]";
            var chunk = chunks[c] ?? throw WireFormatException.Unprocessable($"{chunkWhat} must not be null.");

            // The SDK always sends "type"; a typeless chunk with tokens is read as encoded text.
            var type = chunk.Type ?? (chunk.Tokens is not null ? "encoded_text" : null);
            switch (type)
            {
                case "encoded_text":
                    var chunkTokens = chunk.Tokens ?? throw WireFormatException.Unprocessable($"{chunkWhat}.tokens is required.");
                    ModelInputTokens.CheckNonNegative(chunkTokens, chunkWhat);
                    tokens.AddRange(chunkTokens);
                    break;
                case "image" or "image_asset_pointer" or "dmel":
                    throw ModelInputTokens.UnsupportedChunk(chunkWhat, type);
                default:
                    throw WireFormatException.Unprocessable($"{chunkWhat}: unknown chunk type '{type}'.");
            }
        }

        var inputs = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (name, tensor) in datum.LossFnInputs ?? new Dictionary<string, JsonTensorData?>())
        {
            var tensorWhat = $"{what}.loss_fn_inputs.{name}";
            inputs[name] = ToTensor(tensor ?? throw WireFormatException.Unprocessable($"{tensorWhat} must not be null."), tensorWhat, budget);
        }

        return new Datum([.. tokens], inputs);
    }

    private static TensorData ToTensor(JsonTensorData tensor, string what, TensorBudget budget)
    {
        var values = ReadValues(tensor.Data, tensor.Dtype, what);
        if (tensor.SparseCrowIndices is null && tensor.SparseColIndices is null)
        {
            return TensorDecoder.Dense(what, values, tensor.Shape, budget);
        }

        if (tensor.SparseCrowIndices is null || tensor.SparseColIndices is null)
        {
            throw WireFormatException.Unprocessable($"{what}: sparse_crow_indices and sparse_col_indices must be given together.");
        }

        return TensorDecoder.SparseCsr(what, values, tensor.Shape, tensor.SparseCrowIndices, tensor.SparseColIndices, budget);
    }

    private static TensorValues ReadValues(JsonElement data, string? dtype, string what)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            throw WireFormatException.Unprocessable($"{what}.data must be an array of numbers.");
        }

        var length = data.GetArrayLength();
        switch (dtype)
        {
            case "float32":
                var floats = new float[length];
                var f = 0;
                foreach (var element in data.EnumerateArray())
                {
                    // Numbers beyond double's range are refused; within it, float32 rounding applies as in torch.
                    floats[f] = element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var d) && double.IsFinite(d)
                        ? (float)d
                        : throw WireFormatException.Unprocessable($"{what}.data[{f}] is not a finite number.");
                    f++;
                }

                return new TensorValues(floats, null);
            case "int64":
                var ints = new long[length];
                var n = 0;
                foreach (var element in data.EnumerateArray())
                {
                    ints[n] = ReadInt64(element, $"{what}.data[{n}]");
                    n++;
                }

                return new TensorValues(null, ints);
            default:
                throw WireFormatException.Unprocessable($"{what}.dtype must be \"float32\" or \"int64\" (got '{dtype}').");
        }
    }

    private static long ReadInt64(JsonElement element, string what)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            if (element.TryGetInt64(out var value))
            {
                return value;
            }

            // Tolerate integral floats such as 3.0, which some serializers write for integer tensors.
            if (element.TryGetDouble(out var d) && double.IsFinite(d) && Math.Floor(d) == d && d >= long.MinValue && d < long.MaxValue)
            {
                return (long)d;
            }
        }

        throw WireFormatException.Unprocessable($"{what} is not an integer.");
    }
}
