using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TinkerServer.Api.Tests.Infrastructure;

/// <summary>Drives the server the way the SDK does, over HTTP with JSON bodies; futures are long-polled.</summary>
public sealed class TinkerTestClient(HttpClient http)
{
    public HttpClient Http { get; } = http;

    public async Task<JsonElement> PostAsync(string route, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await Http.PostAsJsonAsync(route, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, $"POST {route} answered {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<string> CreateSessionAsync() =>
        (await PostAsync("/api/v1/create_session", new { tags = Array.Empty<string>(), user_metadata = new { }, sdk_version = "0.25.0", type = "create_session" }))
        .GetProperty("session_id").GetString()!;

    public async Task<string> BaseModelAsync()
    {
        var caps = await Http.GetFromJsonAsync<JsonElement>("/api/v1/get_server_capabilities");
        return caps.GetProperty("supported_models")[0].GetProperty("model_name").GetString()!;
    }

    public async Task<string> CreateModelAsync(string session, int modelSeqId, string baseModel, int rank = 4, int seed = 7)
    {
        var handle = await PostAsync("/api/v1/create_model", new
        {
            session_id = session,
            model_seq_id = modelSeqId,
            base_model = baseModel,
            lora_config = new { rank, seed, train_unembed = false, train_mlp = true, train_attn = true },
            type = "create_model",
        });
        var result = await ResultAsync(handle);
        return result.GetProperty("model_id").GetString()!;
    }

    /// <summary>Polls until the future is done; returns the success body (fails the test on a failed future).</summary>
    public async Task<JsonElement> ResultAsync(JsonElement handle)
    {
        var body = await OutcomeAsync(handle.GetProperty("request_id").GetString()!);
        body.TryGetProperty("error", out var error).Should().BeFalse($"the future failed: {error}");
        return body;
    }

    /// <summary>Polls until the future is done; returns the body, success or failure.</summary>
    public async Task<JsonElement> OutcomeAsync(string requestId, string accept = "application/json")
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/retrieve_future")
            {
                Content = JsonContent.Create(new { request_id = requestId, allow_metadata_only = false }),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            var response = await Http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.RequestTimeout)
            {
                continue;
            }

            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var text = await response.Content.ReadAsStringAsync();
            var json = JsonDocument.Parse(text).RootElement.Clone();
            if (json.TryGetProperty("type", out var type) && type.GetString() == "try_again")
            {
                continue;
            }

            return json;
        }

        throw new TimeoutException($"Future {requestId} did not complete.");
    }

    public static object Datum(int[] tokens) => new
    {
        model_input = new { chunks = new[] { new { type = "encoded_text", tokens = tokens[..^1] } } },
        loss_fn_inputs = new
        {
            target_tokens = new { data = tokens[1..], dtype = "int64", shape = new[] { tokens.Length - 1 } },
            weights = new { data = Enumerable.Repeat(1.0f, tokens.Length - 1).ToArray(), dtype = "float32", shape = new[] { tokens.Length - 1 } },
        },
    };

    public static object[] ToyBatch() =>
    [
        Datum([1, 5, 9, 13, 17, 21, 25, 29]),
        Datum([2, 4, 8, 16, 32, 64, 128, 256, 3]),
    ];

    public Task<JsonElement> ForwardBackwardAsync(string model, long seq, bool forwardOnly = false) =>
        forwardOnly
            ? PostAsync("/api/v1/forward", new { model_id = model, seq_id = seq, forward_input = new { data = ToyBatch(), loss_fn = "cross_entropy" } })
            : PostAsync("/api/v1/forward_backward", new { model_id = model, seq_id = seq, forward_backward_input = new { data = ToyBatch(), loss_fn = "cross_entropy" } });

    public static double LossSum(JsonElement forwardBackwardResult) =>
        forwardBackwardResult.GetProperty("metrics").GetProperty("loss:sum").GetDouble();

    public Task<JsonElement> OptimStepAsync(string model, long seq, double learningRate = 0.05) =>
        PostAsync("/api/v1/optim_step", new
        {
            model_id = model,
            seq_id = seq,
            adam_params = new { learning_rate = learningRate, beta1 = 0.9, beta2 = 0.95, eps = 1e-12, weight_decay = 0.0, grad_clip_norm = 0.0 },
            type = "optim_step",
        });
}
