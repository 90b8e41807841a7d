using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Api.Tests.Wire;
using TinkerServer.Application.Abstractions.Compute;
using ZstdSharp;

namespace TinkerServer.Api.Tests.EndToEnd;

/// <summary>SDK 0.25's wire: protobuf (and zstd) forward_backward bodies, protobuf results for fwd/bwd and samples.</summary>
public sealed class WireFormatFlowTests(EngineApiFactory factory) : IClassFixture<EngineApiFactory>
{
    private readonly TinkerTestClient _api = new(factory.CreateClient());

    private static ForwardBackwardBatch Batch() => new(
        [
            new Datum([1, 5, 9, 13, 17, 21, 25], new Dictionary<string, TensorData>
            {
                ["target_tokens"] = TensorData.FromInts([5, 9, 13, 17, 21, 25, 29]),
                ["weights"] = TensorData.FromFloats([0, 0, 1, 1, 1, 1, 1]),
            }),
            new Datum([2, 4, 8, 16], new Dictionary<string, TensorData>
            {
                ["target_tokens"] = TensorData.FromInts([4, 8, 16, 32]),
                ["weights"] = TensorData.FromFloats([1, 1, 1, 1]),
            }),
        ],
        LossFunctions.CrossEntropy,
        new Dictionary<string, double>());

    [Fact]
    public async Task Protobuf_and_zstd_bodies_give_the_same_losses_as_json_and_results_decode_identically()
    {
        var session = await _api.CreateSessionAsync();
        var model = await _api.CreateModelAsync(session, 0, await _api.BaseModelAsync());
        var batch = Batch();

        var json = await _api.PostAsync("/api/v1/forward", new
        {
            model_id = model,
            seq_id = 1,
            forward_input = new
            {
                loss_fn = "cross_entropy",
                data = batch.Data.Select(d => new
                {
                    model_input = new { chunks = new[] { new { type = "encoded_text", tokens = d.ModelInput } } },
                    loss_fn_inputs = d.LossFnInputs.ToDictionary(
                        kv => kv.Key,
                        kv => (object)(kv.Value.Ints is { } ints
                            ? new { data = (object)ints, dtype = "int64" }
                            : new { data = (object)kv.Value.Floats!, dtype = "float32" })),
                }),
            },
        });
        var jsonLoss = TinkerTestClient.LossSum(await _api.ResultAsync(json));

        using var compressor = new Compressor(3);
        var protoId = await PostProtoAsync(SdkWire.EncodeRequest(model, 2, batch, forwardOnly: true).ToByteArray(), compressed: false);
        var zstdId = await PostProtoAsync(SdkWire.EncodeRequest(model, 3, batch, forwardOnly: true).ToByteArray(), compressed: true);

        var protoOutput = SdkWire.DecodeForwardBackwardOutput(await ProtoResultAsync(protoId));
        var zstdOutput = SdkWire.DecodeForwardBackwardOutput(await ProtoResultAsync(zstdId));
        protoOutput.Metrics["loss:sum"].Should().Be(jsonLoss);
        zstdOutput.Metrics["loss:sum"].Should().Be(jsonLoss);
        protoOutput.LossFnOutputs.Should().HaveCount(2);
        protoOutput.LossFnOutputs[0]["logprobs"].Floats.Should().HaveCount(7);

        // The same future as JSON decodes to the same values.
        var asJson = await _api.OutcomeAsync(protoId);
        TinkerTestClient.LossSum(asJson).Should().Be(protoOutput.Metrics["loss:sum"]);
        asJson.GetProperty("loss_fn_outputs")[1].GetProperty("logprobs").GetProperty("data").EnumerateArray()
            .Select(e => e.GetSingle()).Should().Equal(protoOutput.LossFnOutputs[1]["logprobs"].Floats);

        async Task<string> PostProtoAsync(byte[] body, bool compressed)
        {
            using var content = new ByteArrayContent(compressed ? compressor.Wrap(body).ToArray() : body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            if (compressed)
            {
                content.Headers.ContentEncoding.Add("zstd");
            }

            var response = await _api.Http.PostAsync("/api/v1/forward_backward", content);
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("request_id").GetString()!;
        }
    }

    [Fact]
    public async Task A_sample_result_round_trips_as_protobuf_with_nan_and_filler_cells()
    {
        var session = await _api.CreateSessionAsync();
        var sampler = (await _api.PostAsync("/api/v1/create_sampling_session",
            new { session_id = session, sampling_session_seq_id = 0, base_model = await _api.BaseModelAsync() }))
            .GetProperty("sampling_session_id").GetString()!;
        var handle = await _api.PostAsync("/api/v1/asample", new
        {
            sampling_session_id = sampler,
            seq_id = 0,
            prompt = new { chunks = new[] { new { type = "encoded_text", tokens = new[] { 3, 1, 4, 1, 5 } } } },
            num_samples = 1,
            sampling_params = new { max_tokens = 3, temperature = 0.0 },
            prompt_logprobs = true,
            topk_prompt_logprobs = 3,
        });
        var requestId = handle.GetProperty("request_id").GetString()!;

        var proto = SdkWire.DecodeSampleResponse(await ProtoResultAsync(requestId));
        var json = await _api.OutcomeAsync(requestId);

        proto.PromptLogprobs.Should().HaveCount(5);
        float.IsNaN(proto.PromptLogprobs![0]).Should().BeTrue();
        json.GetProperty("prompt_logprobs")[0].ValueKind.Should().Be(JsonValueKind.Null);
        proto.PromptLogprobs.Skip(1).Should().Equal(json.GetProperty("prompt_logprobs").EnumerateArray().Skip(1).Select(e => e.GetSingle()));
        proto.TopkPromptLogprobs![0].Should().BeNull("the first prompt token has no distribution: its row is filler");
        proto.TopkPromptLogprobs[1]!.Should().HaveCount(3);
        proto.Sequences[0].Tokens.Should().Equal(json.GetProperty("sequences")[0].GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
    }

    private async Task<byte[]> ProtoResultAsync(string requestId)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/retrieve_future")
            {
                Content = JsonContent.Create(new { request_id = requestId }),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));
            var response = await _api.Http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.RequestTimeout)
            {
                continue;
            }

            response.StatusCode.Should().Be(HttpStatusCode.OK);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/x-protobuf", await response.Content.ReadAsStringAsync());
            return await response.Content.ReadAsByteArrayAsync();
        }

        throw new TimeoutException($"Future {requestId} did not complete.");
    }
}
