using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TinkerServer.Api.Tests.Infrastructure;

namespace TinkerServer.Api.Tests.Service;

public sealed class ServiceEndpointTests(TinkerApiFactory factory) : IClassFixture<TinkerApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Health_capabilities_client_config_and_telemetry_answer_as_the_sdk_expects()
    {
        (await _client.GetFromJsonAsync<JsonElement>("/api/v1/healthz")).GetProperty("status").GetString().Should().Be("ok");

        var caps = await _client.GetFromJsonAsync<JsonElement>("/api/v1/get_server_capabilities");
        var first = caps.GetProperty("supported_models")[0];
        first.GetProperty("model_name").GetString().Should().Be("tinker-tiny-qwen3");
        first.GetProperty("max_context_length").GetInt32().Should().BePositive();

        var config = await (await _client.PostAsJsonAsync("/api/v1/client/config", new { sdk_version = "0.25.0" })).Content.ReadFromJsonAsync<JsonElement>();
        config.GetProperty("pjwt_auth_enabled").GetBoolean().Should().BeFalse();
        config.GetProperty("proto_write_fwdbwd").GetBoolean().Should().BeTrue();
        config.GetProperty("fwd_via_fwdbwd").GetBoolean().Should().BeTrue();
        config.GetProperty("proto_compress_fwdbwd").GetBoolean().Should().BeTrue();

        var telemetry = await _client.PostAsJsonAsync("/api/v1/telemetry", new { events = new[] { new { @event = "SESSION_START" } }, platform = "linux" });
        telemetry.StatusCode.Should().Be(HttpStatusCode.OK);
        (await telemetry.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString().Should().Be("accepted");
    }

    [Theory]
    [InlineData("/api/v1/client/dynamic_config")]
    [InlineData("/api/v1/auth/token")]
    [InlineData("/api/v1/sessions/abc/trace_export")]
    public async Task Optional_endpoints_the_server_does_not_offer_are_404_with_a_body(string path)
    {
        var response = path.EndsWith("trace_export", StringComparison.Ordinal)
            ? await _client.GetAsync(path)
            : await _client.PostAsJsonAsync(path, new { sdk_version = "0.25.0" });

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.DetailAsync()).Should().NotBeNullOrEmpty();
    }
}
