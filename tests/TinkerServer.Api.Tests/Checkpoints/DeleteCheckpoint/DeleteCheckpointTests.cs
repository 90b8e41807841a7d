using System.Net;
using TinkerServer.Api.Tests.Infrastructure;
using TinkerServer.Domain.Checkpoints;

namespace TinkerServer.Api.Tests.Checkpoints.DeleteCheckpoint;

public sealed class DeleteCheckpointTests(TinkerApiFactory factory) : IClassFixture<TinkerApiFactory>
{
    private readonly HttpClient _client = factory.CreateClient();
    private readonly Seeder _seed = new(factory);

    [Fact]
    public async Task Delete_of_a_training_checkpoint_by_kind_prefixed_id_removes_it_from_disk_and_listings()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "final");
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "final");

        var response = await _client.DeleteAsync(Routes.Checkpoint(run, "weights/final"));

        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await response.Content.ReadAsByteArrayAsync()).Should().BeEmpty();
        (await _seed.ArtifactAsync(run, CheckpointType.Training, "final")).Should().BeNull();
        (await _seed.ArtifactAsync(run, CheckpointType.Sampler, "final")).Should().NotBeNull("the sampler checkpoint of the same name is another checkpoint");
        (await _client.CheckpointIdsAsync(run)).Should().Equal("sampler_weights/final");
        (await _client.AllCheckpointsAsync()).Should().NotContain(c => c.TinkerPath == $"tinker://{run}/weights/final");
    }

    [Fact]
    public async Task Delete_of_a_sampler_checkpoint_by_bare_id_and_checkpoint_type_removes_it()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "s1");

        var response = await _client.DeleteAsync(Routes.Checkpoint(run, "s1") + "?checkpoint_type=sampler");

        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _seed.ArtifactAsync(run, CheckpointType.Sampler, "s1")).Should().BeNull();
        (await _client.CheckpointIdsAsync(run)).Should().BeEmpty();
        (await _client.AllCheckpointsAsync()).Should().NotContain(c => c.TrainingRunId == run.Value);
    }

    [Fact]
    public async Task Deleting_two_of_five_leaves_the_other_three_on_disk_and_listed()
    {
        var run = await _seed.RunAsync();
        for (var i = 1; i <= 5; i++)
        {
            await _seed.CompletedAsync(run, CheckpointType.Training, i.ToString(), age: TimeSpan.FromMinutes(10 - i));
        }

        (await _client.DeleteAsync(Routes.Checkpoint(run, "weights/2"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.DeleteAsync(Routes.Checkpoint(run, "weights/4"))).StatusCode.Should().Be(HttpStatusCode.NoContent);

        (await _client.CheckpointIdsAsync(run)).Should().Equal("weights/5", "weights/3", "weights/1");
        foreach (var name in new[] { "1", "3", "5" })
        {
            (await _seed.ArtifactAsync(run, CheckpointType.Training, name)).Should().NotBeNull();
        }

        foreach (var name in new[] { "2", "4" })
        {
            (await _seed.ArtifactAsync(run, CheckpointType.Training, name)).Should().BeNull();
        }
    }

    [Fact]
    public async Task A_directory_shaped_artifact_is_deleted_whole()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "dir");
        // Replace the file with a directory of the same name, as older writers produced.
        var file = Directory.EnumerateFiles(factory.CheckpointRoot, "dir.tar.gz", SearchOption.AllDirectories).Single();
        File.Delete(file);
        Directory.CreateDirectory(Path.Combine(file, "checkpoint_0"));
        await File.WriteAllTextAsync(Path.Combine(file, "checkpoint_0", "lora_weights"), "weights");
        (await _seed.ArtifactAsync(run, CheckpointType.Training, "dir"))!.Shape.Should().Be(Application.Abstractions.Storage.ArtifactShape.Directory);

        var response = await _client.DeleteAsync(Routes.Checkpoint(run, "weights/dir"));

        response.StatusCode.Should().Be(HttpStatusCode.NoContent);
        Directory.Exists(file).Should().BeFalse();
        Directory.Exists(Path.GetDirectoryName(file)).Should().BeTrue("the run directory is never removed");
    }

    [Theory]
    [InlineData("final", "", HttpStatusCode.BadRequest, "Invalid checkpoint identifier. Expected 'weights/<name>' or 'sampler_weights/<name>'")]
    [InlineData("weights/final", "?checkpoint_type=sampler", HttpStatusCode.BadRequest, "checkpoint_type")]
    [InlineData("sampler_weights/final", "?checkpoint_type=training", HttpStatusCode.BadRequest, "checkpoint_type")]
    [InlineData("foo/final", "", HttpStatusCode.BadRequest, "unknown prefix")]
    [InlineData("final", "?checkpoint_type=bogus", HttpStatusCode.BadRequest, "checkpoint_type")]
    [InlineData("weights/bad.name", "", HttpStatusCode.UnprocessableEntity, "Invalid checkpoint name")]
    [InlineData("weights/a:b", "", HttpStatusCode.UnprocessableEntity, "Invalid checkpoint name")]
    [InlineData("weights/missing", "", HttpStatusCode.NotFound, "not found")]
    [InlineData("sampler_weights/final", "", HttpStatusCode.NotFound, "not found")]
    public async Task Rejected_deletes_answer_the_contract_status_and_leave_the_checkpoint_intact(
        string checkpointId, string query, HttpStatusCode expected, string detail)
    {
        var run = await _seed.RunAsync();
        var bytes = await _seed.CompletedAsync(run, CheckpointType.Training, "final");

        var response = await _client.DeleteAsync(Routes.Checkpoint(run, checkpointId) + query);

        response.StatusCode.Should().Be(expected);
        (await response.DetailAsync()).Should().Contain(detail);
        response.Headers.Contains("x-should-retry").Should().BeFalse("4xx other than 408/409/429 are not retried anyway");
        (await _seed.ArtifactAsync(run, CheckpointType.Training, "final"))!.Length.Should().Be(bytes.Length);
        (await _client.CheckpointIdsAsync(run)).Should().Equal("weights/final");
    }

    [Fact]
    public async Task Invalid_run_id_is_422_and_unknown_run_is_404()
    {
        (await _client.DeleteAsync(Routes.Checkpoint("bad.run", "weights/x"))).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await _client.DeleteAsync(Routes.Checkpoint("no-such-run", "weights/x"))).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_pending_checkpoint_is_425_and_stays()
    {
        var run = await _seed.RunAsync();
        await _seed.PendingAsync(run, CheckpointType.Training, "busy");

        var response = await _client.DeleteAsync(Routes.Checkpoint(run, "weights/busy"));

        response.StatusCode.Should().Be((HttpStatusCode)425);
        (await response.DetailAsync()).Should().Contain("still being created");
        var again = await _client.DeleteAsync(Routes.Checkpoint(run, "weights/busy"));
        again.StatusCode.Should().Be((HttpStatusCode)425, "the row must still be there");
    }

    [Fact]
    public async Task Thirty_two_parallel_deletes_of_one_checkpoint_give_exactly_one_204_and_no_500()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Sampler, "contended");

        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ =>
            _client.DeleteAsync(Routes.Checkpoint(run, "sampler_weights/contended"))));

        responses.Count(r => r.StatusCode == HttpStatusCode.NoContent).Should().Be(1);
        responses.Where(r => r.StatusCode != HttpStatusCode.NoContent).Should().OnlyContain(r => r.StatusCode == HttpStatusCode.NotFound);
        (await _seed.ArtifactAsync(run, CheckpointType.Sampler, "contended")).Should().BeNull();
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_is_answered_204_but_another_delete_gets_404()
    {
        var run = await _seed.RunAsync();
        await _seed.CompletedAsync(run, CheckpointType.Training, "retried");
        using var first = new HttpRequestMessage(HttpMethod.Delete, Routes.Checkpoint(run, "weights/retried"));
        first.Headers.Add("X-Idempotency-Key", "stainless-python-retry-1");
        using var retry = new HttpRequestMessage(HttpMethod.Delete, Routes.Checkpoint(run, "weights/retried"));
        retry.Headers.Add("X-Idempotency-Key", "stainless-python-retry-1");

        (await _client.SendAsync(first)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.SendAsync(retry)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _client.DeleteAsync(Routes.Checkpoint(run, "weights/retried"))).StatusCode.Should().Be(HttpStatusCode.NotFound);

        factory.Time.Advance(TimeSpan.FromHours(1));
        using var late = new HttpRequestMessage(HttpMethod.Delete, Routes.Checkpoint(run, "weights/retried"));
        late.Headers.Add("X-Idempotency-Key", "stainless-python-retry-1");
        (await _client.SendAsync(late)).StatusCode.Should().Be(HttpStatusCode.NotFound, "the replay window has passed");
    }

    [Fact]
    public async Task Run_ids_with_colons_work_end_to_end()
    {
        var run = await _seed.RunAsync($"{Guid.NewGuid()}:train:0");
        await _seed.CompletedAsync(run, CheckpointType.Training, "c");

        (await _client.CheckpointIdsAsync(run)).Should().Equal("weights/c");
        (await _client.DeleteAsync(Routes.Checkpoint(run, "weights/c"))).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _seed.ArtifactAsync(run, CheckpointType.Training, "c")).Should().BeNull();
    }
}
