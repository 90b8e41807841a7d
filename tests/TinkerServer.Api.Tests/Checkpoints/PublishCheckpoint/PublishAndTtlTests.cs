using System.Net;
using System.Net.Http.Json;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Api.Tests.Checkpoints.PublishCheckpoint;

public sealed class PublishAndTtlTests(TinkerApiFactory factory) : IClassFixture<TinkerApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();
    private readonly Seeder _seed = new(factory);

    [Fact]
    public async Task Publish_and_unpublish_are_idempotent_204s_that_show_in_listings()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "shared");
        var route = $"{Routes.Checkpoint(run, "sampler_weights/shared")}/publish";

        (await _client.PostAsync(route, null)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.PostAsync(route, null)).StatusCode.Should().Be(HttpStatusCode.NoContent, "already public is not an error");
        (await _client.AllCheckpointsAsync()).Single(c => c.TrainingRunId == run.Value).Public.Should().BeTrue();

        (await _client.DeleteAsync(route)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.AllCheckpointsAsync()).Single(c => c.TrainingRunId == run.Value).Public.Should().BeFalse();
        (await _seed.ArtifactAsync(run, CheckpointType.Sampler, "shared")).Should().NotBeNull("unpublishing is not deleting");
    }

    [Fact]
    public async Task Ttl_sets_and_clears_the_expiry_and_rejects_non_positive_values()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "ttl");
        var route = $"{Routes.Checkpoint(run, "weights/ttl")}/ttl";

        (await _client.PutAsJsonAsync(route, new { ttl_seconds = 3600 })).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.AllCheckpointsAsync()).Single(c => c.TrainingRunId == run.Value).ExpiresAt
            .Should().Be(factory.Time.GetUtcNow().AddHours(1));
        (await _client.PutAsJsonAsync(route, new { ttl_seconds = (long?)null })).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.AllCheckpointsAsync()).Single(c => c.TrainingRunId == run.Value).ExpiresAt.Should().BeNull();

        var zero = await _client.PutAsJsonAsync(route, new { ttl_seconds = 0 });
        zero.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await zero.DetailAsync()).Should().Contain("ttl_seconds");
    }

    [Fact]
    public async Task Unknown_pending_and_malformed_targets_get_their_4xx()
    {
        var run = await _seed.RunAsync();
        await _seed.PendingAsync(run, CheckpointType.Training, "busy");

        (await _client.PostAsync($"{Routes.Checkpoint(run, "weights/none")}/publish", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await _client.PostAsync($"{Routes.Checkpoint(run, "weights/busy")}/publish", null)).StatusCode.Should().Be((HttpStatusCode)425);
        (await _client.PostAsync($"{Routes.Checkpoint(run, "other/busy")}/publish", null)).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await _client.PutAsJsonAsync($"{Routes.Checkpoint(run, "weights/none")}/ttl", new { ttl_seconds = 5 })).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_checkpoint_named_publish_can_still_be_deleted()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "publish");

        (await _client.DeleteAsync(Routes.Checkpoint(run, "weights/publish"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _seed.ArtifactAsync(run, CheckpointType.Training, "publish")).Should().BeNull();
    }
}
