using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TinkerServer.Api.Tests.Infrastructure;

namespace TinkerServer.Api.Tests.EndToEnd;

public sealed class SessionAndModelTests(EngineApiFactory factory) : IClassFixture<EngineApiFactory>
{
    private readonly TinkerTestClient _api = new(factory.CreateClient());

    [Fact]
    public async Task Create_session_retried_with_the_same_idempotency_key_returns_the_same_session()
    {
        async Task<string> CreateAsync(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/create_session")
            {
                Content = JsonContent.Create(new { tags = new[] { "a" }, user_metadata = new { }, sdk_version = "0.25.0" }),
            };
            request.Headers.Add("X-Idempotency-Key", key);
            var response = await _api.Http.SendAsync(request);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            body.GetProperty("type").GetString().Should().Be("create_session");
            return body.GetProperty("session_id").GetString()!;
        }

        var first = await CreateAsync("stainless-python-retry-a");
        (await CreateAsync("stainless-python-retry-a")).Should().Be(first);
        (await CreateAsync("stainless-python-retry-b")).Should().NotBe(first);
        Guid.TryParse(first, out _).Should().BeTrue("session ids are UUIDs");
    }

    [Fact]
    public async Task Sessions_list_and_show_their_runs_and_samplers_and_heartbeats_are_acknowledged()
    {
        var session = await _api.CreateSessionAsync();
        var baseModel = await _api.BaseModelAsync();
        var model = await _api.CreateModelAsync(session, 0, baseModel);
        var sampler = (await _api.PostAsync("/api/v1/create_sampling_session", new { session_id = session, sampling_session_seq_id = 0, base_model = baseModel }))
            .GetProperty("sampling_session_id").GetString();
        sampler.Should().Be($"{session}:sample:0");

        (await _api.PostAsync("/api/v1/session_heartbeat", new { session_id = session, type = "session_heartbeat" }))
            .GetProperty("type").GetString().Should().Be("session_heartbeat");
        var list = await _api.Http.GetFromJsonAsync<JsonElement>("/api/v1/sessions?limit=1000");
        list.GetProperty("sessions").EnumerateArray().Select(e => e.GetString()).Should().Contain(session);
        var detail = await _api.Http.GetFromJsonAsync<JsonElement>($"/api/v1/sessions/{session}");
        detail.GetProperty("training_run_ids").EnumerateArray().Select(e => e.GetString()).Should().Equal(model);
        detail.GetProperty("sampler_ids").EnumerateArray().Select(e => e.GetString()).Should().Equal(sampler);
        var samplerInfo = await _api.Http.GetFromJsonAsync<JsonElement>($"/api/v1/samplers/{sampler}");
        samplerInfo.GetProperty("base_model").GetString().Should().Be(baseModel);

        (await _api.Http.PostAsJsonAsync("/api/v1/session_heartbeat", new { session_id = "no-such-session" })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _api.Http.GetAsync("/api/v1/sessions/no-such-session")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _api.Http.GetAsync("/api/v1/samplers/no-such-sampler")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Create_model_is_idempotent_and_get_info_describes_the_run()
    {
        var session = await _api.CreateSessionAsync();
        var baseModel = await _api.BaseModelAsync();
        var body = new { session_id = session, model_seq_id = 0, base_model = baseModel, lora_config = new { rank = 4, seed = 1 } };
        var first = await _api.PostAsync("/api/v1/create_model", body);
        var retry = await _api.PostAsync("/api/v1/create_model", body);
        retry.GetProperty("request_id").GetString().Should().Be(first.GetProperty("request_id").GetString());
        var model = (await _api.ResultAsync(first)).GetProperty("model_id").GetString();

        var info = await _api.PostAsync("/api/v1/get_info", new { model_id = model, type = "get_info" });
        info.GetProperty("model_id").GetString().Should().Be(model);
        info.GetProperty("model_data").GetProperty("model_name").GetString().Should().Be(baseModel);
        info.GetProperty("lora_rank").GetInt32().Should().Be(4);

        var other = await _api.Http.PostAsJsonAsync("/api/v1/create_model", new { session_id = session, model_seq_id = 0, base_model = baseModel, lora_config = new { rank = 8 } });
        other.StatusCode.Should().Be(HttpStatusCode.Conflict);
        other.Headers.GetValues("x-should-retry").Should().Equal("false");
    }

    [Theory]
    [InlineData("no-such-session", "tinker-tiny-qwen3", 4, HttpStatusCode.NotFound)]
    [InlineData(null, "unknown-base-model", 4, HttpStatusCode.BadRequest)]
    [InlineData(null, "tinker-tiny-qwen3", 0, HttpStatusCode.UnprocessableEntity)]
    public async Task Create_model_rejects_bad_requests_with_clear_4xx(string? sessionOverride, string baseModel, int rank, HttpStatusCode expected)
    {
        var session = sessionOverride ?? await _api.CreateSessionAsync();

        var response = await _api.Http.PostAsJsonAsync("/api/v1/create_model", new { session_id = session, model_seq_id = 0, base_model = baseModel, lora_config = new { rank } });

        response.StatusCode.Should().Be(expected);
        (await response.DetailAsync()).Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task Training_requests_for_unknown_models_and_bad_bodies_are_4xx()
    {
        (await _api.Http.PostAsJsonAsync("/api/v1/optim_step", new { model_id = "nope:train:0", seq_id = 1, adam_params = new { learning_rate = 0.1 } }))
            .StatusCode.Should().Be(HttpStatusCode.NotFound);
        var session = await _api.CreateSessionAsync();
        var model = await _api.CreateModelAsync(session, 0, await _api.BaseModelAsync());
        (await _api.Http.PostAsJsonAsync("/api/v1/optim_step", new { model_id = model, seq_id = 1, adam_params = new { learning_rate = -1.0 } }))
            .StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await _api.Http.PostAsJsonAsync("/api/v1/forward_backward", new
        {
            model_id = model,
            seq_id = 1,
            forward_backward_input = new { data = TinkerTestClient.ToyBatch(), loss_fn = "no_such_loss" },
        })).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var stopStrings = await _api.Http.PostAsJsonAsync("/api/v1/asample", new
        {
            sampling_session_id = "x:sample:0",
            seq_id = 0,
            prompt = new { chunks = new[] { new { type = "encoded_text", tokens = new[] { 1 } } } },
            sampling_params = new { stop = "\n" },
        });
        stopStrings.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await stopStrings.DetailAsync()).Should().Contain("stop strings");
        (await _api.Http.PostAsJsonAsync("/api/v1/asample", new
        {
            sampling_session_id = "x:sample:0",
            prompt = new { chunks = new[] { new { type = "encoded_text", tokens = new[] { 1, -3 } } } },
        })).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await _api.Http.PostAsJsonAsync("/api/v1/asample", new
        {
            sampling_session_id = "x:sample:0",
            prompt = new { chunks = new[] { new { type = "image", tokens = new[] { 1 } } } },
        })).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var noSampler = await _api.Http.PostAsJsonAsync("/api/v1/asample", new
        {
            prompt = new { chunks = new[] { new { type = "encoded_text", tokens = new[] { 1 } } } },
        });
        noSampler.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await noSampler.DetailAsync()).Should().Contain("sampling_session_id is required");
    }
}
