using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure.Tests.Engine;

namespace TinkerServer.Infrastructure.Tests.Persistence;

public sealed class CheckpointExistenceTests
{
    public static TheoryData<string> Providers => TestDatabase.Providers;

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Existing_rows_are_found_by_path_whatever_their_status(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var runA = TrainingRunId.Parse("a:train:0");
        var runB = TrainingRunId.Parse("b:train:0");
        CheckpointPath P(TrainingRunId run, CheckpointType type, string name) => new(run, type, CheckpointName.Parse(name));
        await using (var scope = db.Scope())
        {
            var runs = scope.ServiceProvider.GetRequiredService<ITrainingRunRepository>();
            runs.Add(TrainingRun.Create(runA, null, "tiny", LoraConfig.Create(4, 1), "o", db.Time.GetUtcNow()));
            runs.Add(TrainingRun.Create(runB, null, "tiny", LoraConfig.Create(4, 1), "o", db.Time.GetUtcNow()));
            var checkpoints = scope.ServiceProvider.GetRequiredService<ICheckpointRepository>();
            checkpoints.Add(Checkpoint.CreateCompleted(P(runA, CheckpointType.Training, "x"), db.Time.GetUtcNow(), 1));
            checkpoints.Add(Checkpoint.CreatePending(P(runB, CheckpointType.Sampler, "y"), db.Time.GetUtcNow()));
            await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
        }

        await using var reader = db.Scope();
        var found = await reader.ServiceProvider.GetRequiredService<ICheckpointRepository>().FindExistingAsync(
            [P(runA, CheckpointType.Training, "x"), P(runA, CheckpointType.Sampler, "x"), P(runB, CheckpointType.Sampler, "y"), P(runB, CheckpointType.Training, "z")],
            default);

        found.Should().BeEquivalentTo([P(runA, CheckpointType.Training, "x"), P(runB, CheckpointType.Sampler, "y")]);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Old_tombstones_are_dropped_and_recent_ones_kept(string provider)
    {
        await using var db = await EngineDatabase.CreateAsync(provider: provider);
        var run = TrainingRunId.Parse("t:train:0");
        var old = new CheckpointPath(run, CheckpointType.Training, CheckpointName.Parse("old"));
        var recent = new CheckpointPath(run, CheckpointType.Training, CheckpointName.Parse("recent"));
        var start = db.Time.GetUtcNow();
        await using (var scope = db.Scope())
        {
            var checkpoints = scope.ServiceProvider.GetRequiredService<ICheckpointRepository>();
            checkpoints.AddTombstone(new CheckpointTombstone(old, "k", start));
            checkpoints.AddTombstone(new CheckpointTombstone(recent, "k", start.AddHours(1)));
            await scope.ServiceProvider.GetRequiredService<IUnitOfWork>().SaveChangesAsync(default);
        }

        await using var reader = db.Scope();
        var repository = reader.ServiceProvider.GetRequiredService<ICheckpointRepository>();
        (await repository.DeleteTombstonesBeforeAsync(start.AddMinutes(30), default)).Should().Be(1);
        (await repository.HasTombstoneAsync(old, "k", start.AddDays(-1), default)).Should().BeFalse();
        (await repository.HasTombstoneAsync(recent, "k", start.AddDays(-1), default)).Should().BeTrue();
    }
}
