using Microsoft.Extensions.Logging.Abstractions;
using TinkerServer.Application.Checkpoints.CollectOrphanArtifacts;
using TinkerServer.Application.Tests.Engine;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Tests.Checkpoints.CollectOrphanArtifacts;

public sealed class CollectOrphanArtifactsCommandHandlerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static CheckpointPath Path(string name, CheckpointType type = CheckpointType.Training) =>
        new(TrainingRunId.Parse("run:train:0"), type, CheckpointName.Parse(name));

    [Fact]
    public async Task Only_artifacts_that_no_row_names_are_removed()
    {
        var storage = new FakeStorage();
        var checkpoints = new FakeCheckpoints();
        checkpoints.Add(Checkpoint.CreateCompleted(Path("listed"), Now, 1));
        checkpoints.Add(Checkpoint.CreatePending(Path("being_written"), Now));
        var failed = Checkpoint.CreatePending(Path("failed"), Now);
        failed.Fail("x", Now);
        checkpoints.Add(failed);
        foreach (var path in new[] { Path("listed"), Path("being_written"), Path("failed"), Path("orphan"), Path("listed", CheckpointType.Sampler) })
        {
            storage.Artifacts[path] = [1];
        }

        var removed = await new CollectOrphanArtifactsCommandHandler(storage, checkpoints, NullLogger<CollectOrphanArtifactsCommandHandler>.Instance)
            .Handle(new CollectOrphanArtifactsCommand(BatchSize: 2), CancellationToken.None);

        removed.Should().Be(2);
        storage.Artifacts.Keys.Should().BeEquivalentTo([Path("listed"), Path("being_written"), Path("failed")],
            "the sampler artifact of the same name is another checkpoint and has no row");
    }
}
