using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Api.Tests.Security;

/// <summary>Hostile identifiers through every checkpoint endpoint: always a 4xx, and nothing beside the root is touched.</summary>
public sealed class PathTraversalTests(TinkerApiFactory factory) : IClassFixture<TinkerApiFactory>
{
    // NUL bytes are refused by the HTTP server before routing (the in-memory test host throws on them), and
    // CheckpointPathTests covers them in the domain. A literal ".." run id is collapsed by the client's URI normalisation into another, legitimate route
    // (/api/v1/checkpoints), so it is sent encoded here; encoded dot segments do reach the server.
    private static readonly string[] HostileRunIds =
    [
        "%2e%2e", "..%2f..%2fdata", "%2e%2e%2fcanary.txt", "a%5c..%5c..", "canary.txt", "...",
        "..%252f..", new string('a', 300),
    ];

    private static readonly string[] HostileCheckpointIds =
    [
        "weights/..", "weights/../../canary.txt", "weights/%2e%2e/%2e%2e/canary.txt", "weights/..%2f..%2fcanary.txt",
        "weights%2F..%2F..%2Fcanary.txt", "sampler_weights/..%5c..%5ccanary.txt", "../canary.txt",
        "weights/canary.txt", "weights/a:b", "%2e%2e", "..", "weights//canary", "weights/" + new string('x', 400),
    ];

    private readonly HttpClient _client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    private readonly Seeder _seed = new(factory);

    [Fact]
    public async Task Hostile_identifiers_get_a_4xx_from_every_endpoint_and_the_canary_is_untouched()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "real");
        var canaryTime = File.GetLastWriteTimeUtc(factory.CanaryPath);
        var requests = new List<HttpRequestMessage>();
        foreach (var bad in HostileRunIds)
        {
            requests.Add(new(HttpMethod.Get, Routes.RunCheckpoints(bad)));
            requests.Add(new(HttpMethod.Get, Routes.ModelCheckpoints(bad)));
            requests.Add(new(HttpMethod.Get, Routes.TrainingRun(bad)));
            requests.Add(new(HttpMethod.Delete, Routes.Checkpoint(bad, "weights/real")));
            requests.Add(new(HttpMethod.Get, Routes.Archive(bad, "weights/real")));
            requests.Add(new(HttpMethod.Get, $"/api/v1/training_runs/{bad}/checkpoints/weights/real/download?expires=9999999999&sig=x"));
        }

        foreach (var bad in HostileCheckpointIds)
        {
            requests.Add(new(HttpMethod.Delete, Routes.Checkpoint(run, bad)));
            requests.Add(new(HttpMethod.Delete, Routes.Checkpoint(run, bad) + "?checkpoint_type=training"));
            requests.Add(new(HttpMethod.Get, Routes.Archive(run, bad)));
            requests.Add(new(HttpMethod.Get, $"{Routes.Checkpoint(run, bad)}/download?expires=9999999999&sig=x"));
            requests.Add(new(HttpMethod.Post, Routes.WeightsInfo)
            {
                Content = new StringContent($"{{\"tinker_path\":\"tinker://{run}/{bad}\"}}", Encoding.UTF8, "application/json"),
            });
        }

        foreach (var request in requests)
        {
            var target = new Uri(_client.BaseAddress!, request.RequestUri!);
            if (!target.AbsolutePath.StartsWith("/api/v1/training_runs/", StringComparison.Ordinal) &&
                !target.AbsolutePath.StartsWith("/api/v1/models/", StringComparison.Ordinal) &&
                request.Method != HttpMethod.Post)
            {
                continue; // the client's URI normalisation turned it into another, legitimate route
            }

            var response = await _client.SendAsync(request);
            ((int)response.StatusCode).Should().BeInRange(400, 499, $"{request.Method} {request.RequestUri} must be refused as a client error");
            (await response.Content.ReadAsStringAsync()).Should().Contain("detail", $"{request.Method} {request.RequestUri} needs an error body");
        }

        File.ReadAllText(factory.CanaryPath).Should().Be(TinkerApiFactory.CanaryContent);
        File.GetLastWriteTimeUtc(factory.CanaryPath).Should().Be(canaryTime);
        (await _seed.ArtifactAsync(run, CheckpointType.Training, "real")).Should().NotBeNull();
        (await _client.CheckpointIdsAsync(run)).Should().Equal("weights/real");
    }
}
