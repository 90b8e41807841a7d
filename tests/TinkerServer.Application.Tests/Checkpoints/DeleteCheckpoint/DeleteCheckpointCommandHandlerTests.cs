using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TinkerServer.Application.Abstractions;
using TinkerServer.Application.Abstractions.Persistence;
using TinkerServer.Application.Checkpoints.DeleteCheckpoint;
using TinkerServer.Application.Common;
using TinkerServer.Application.Tests.Engine;
using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Application.Tests.Checkpoints.DeleteCheckpoint;

/// <summary>The ordering of ADR 0002: the row is committed away first, then the artifact goes.</summary>
public sealed class DeleteCheckpointCommandHandlerTests
{
    private static readonly TrainingRunId Run = TrainingRunId.Parse("run:train:0");
    private static readonly CheckpointPath Path = new(Run, CheckpointType.Training, CheckpointName.Parse("final"));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeCheckpoints _checkpoints = new();
    private readonly FakeRuns _runs = new();
    private readonly FakeStorage _storage = new();
    private readonly RecordingLogger _logger = new();

    public DeleteCheckpointCommandHandlerTests()
    {
        _runs.Add(TrainingRun.Create(Run, null, "tiny", LoraConfig.Create(4, 1), "owner", _time.GetUtcNow()));
        _checkpoints.Add(Checkpoint.CreateCompleted(Path, _time.GetUtcNow(), 3));
        _storage.Artifacts[Path] = [1, 2, 3];
    }

    private DeleteCheckpointCommandHandler Handler(IUnitOfWork unitOfWork) =>
        new(_checkpoints, _runs, unitOfWork, _storage, new Caller("owner"), _time, _logger);

    private static DeleteCheckpointCommand Command(string id = "weights/final") => new(Run.Value, id, null, null);

    [Fact]
    public async Task The_artifact_is_removed_only_after_the_row_removal_committed()
    {
        var unitOfWork = new ObservingUnitOfWork(() => _storage.Artifacts.ContainsKey(Path));

        await Handler(unitOfWork).Handle(Command(), CancellationToken.None);

        unitOfWork.ArtifactPresentAtCommit.Should().BeTrue("the commit comes first");
        _storage.Artifacts.Should().NotContainKey(Path);
        _checkpoints.Rows.Should().BeEmpty();
    }

    [Fact]
    public async Task When_the_commit_fails_the_artifact_is_untouched()
    {
        var act = () => Handler(new FailingUnitOfWork(new InvalidOperationException("database is down"))).Handle(Command(), CancellationToken.None).AsTask();

        await act.Should().ThrowAsync<InvalidOperationException>();
        _storage.Artifacts.Should().ContainKey(Path);
    }

    [Fact]
    public async Task A_delete_that_lost_the_race_to_another_is_not_found_and_touches_nothing()
    {
        var act = () => Handler(new FailingUnitOfWork(new ConcurrencyConflictException("row vanished"))).Handle(Command(), CancellationToken.None).AsTask();

        await act.Should().ThrowAsync<NotFoundException>();
        _storage.Artifacts.Should().ContainKey(Path, "the winner deletes the artifact, not the loser");
    }

    [Fact]
    public async Task When_removing_the_artifact_fails_after_the_commit_the_delete_still_succeeds_and_the_orphan_is_logged()
    {
        var storage = new ThrowingDeleteStorage(_storage);
        var handler = new DeleteCheckpointCommandHandler(_checkpoints, _runs, new FakeUnitOfWork(), storage, new Caller("owner"), _time, _logger);

        await handler.Handle(Command(), CancellationToken.None);

        _checkpoints.Rows.Should().BeEmpty("the row is gone for good: no listed checkpoint without its archive");
        _logger.Warnings.Should().ContainSingle(m => m.Contains("orphan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_pending_checkpoint_is_refused_and_kept()
    {
        var pending = new CheckpointPath(Run, CheckpointType.Sampler, CheckpointName.Parse("busy"));
        _checkpoints.Add(Checkpoint.CreatePending(pending, _time.GetUtcNow()));

        var act = () => Handler(new FakeUnitOfWork()).Handle(Command("sampler_weights/busy"), CancellationToken.None).AsTask();

        await act.Should().ThrowAsync<CheckpointNotReadyException>();
        _checkpoints.Rows.Should().Contain(c => c.Path == pending);
    }

    [Fact]
    public async Task Another_owners_checkpoint_is_not_found()
    {
        var act = () => new DeleteCheckpointCommandHandler(_checkpoints, _runs, new FakeUnitOfWork(), _storage, new Caller("someone-else"), _time, _logger)
            .Handle(Command(), CancellationToken.None).AsTask();

        await act.Should().ThrowAsync<NotFoundException>();
        _storage.Artifacts.Should().ContainKey(Path);
    }

    private sealed class Caller(string owner) : ICurrentCaller
    {
        public string Owner { get; } = owner;
    }

    private sealed class ObservingUnitOfWork(Func<bool> artifactPresent) : IUnitOfWork
    {
        public bool ArtifactPresentAtCommit { get; private set; }

        public Task SaveChangesAsync(CancellationToken cancellationToken)
        {
            ArtifactPresentAtCommit = artifactPresent();
            return Task.CompletedTask;
        }
    }

    private sealed class FailingUnitOfWork(Exception failure) : IUnitOfWork
    {
        public Task SaveChangesAsync(CancellationToken cancellationToken) => Task.FromException(failure);
    }

    private sealed class ThrowingDeleteStorage(FakeStorage inner) : Abstractions.Storage.IArtifactStorage
    {
        public Task<Abstractions.Storage.ArtifactInfo?> GetInfoAsync(CheckpointPath path, CancellationToken cancellationToken) => inner.GetInfoAsync(path, cancellationToken);

        public Task<Abstractions.Storage.ArtifactContent?> OpenReadAsync(CheckpointPath path, CancellationToken cancellationToken) => inner.OpenReadAsync(path, cancellationToken);

        public Task<Abstractions.Storage.IStagedArtifact> BeginWriteAsync(CheckpointPath path, CancellationToken cancellationToken) => inner.BeginWriteAsync(path, cancellationToken);

        public Task<bool> DeleteAsync(CheckpointPath path, CancellationToken cancellationToken) => throw new IOException("disk went away");

        public IAsyncEnumerable<CheckpointPath> EnumerateAsync(CancellationToken cancellationToken) => inner.EnumerateAsync(cancellationToken);

        public Task<int> CleanUpLeftoversAsync(CancellationToken cancellationToken) => inner.CleanUpLeftoversAsync(cancellationToken);
    }

    private sealed class RecordingLogger : ILogger<DeleteCheckpointCommandHandler>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
