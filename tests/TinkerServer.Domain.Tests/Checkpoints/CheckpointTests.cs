using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Domain.Tests.Checkpoints;

public class CheckpointTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CheckpointPath Path = new(TrainingRunId.Parse("run"), CheckpointType.Training, CheckpointName.Parse("c"));

    [Fact]
    public void A_pending_checkpoint_is_neither_deletable_nor_readable_nor_listed()
    {
        var checkpoint = Checkpoint.CreatePending(Path, Now);

        FluentActions.Invoking(checkpoint.EnsureDeletable).Should().Throw<CheckpointNotReadyException>().WithMessage("*still being created*");
        FluentActions.Invoking(checkpoint.EnsureReadable).Should().Throw<CheckpointNotReadyException>();
        checkpoint.IsVisible(Now).Should().BeFalse();
    }

    [Fact]
    public void Completion_records_size_and_time_and_starts_the_ttl()
    {
        var checkpoint = Checkpoint.CreatePending(Path, Now, ttlSeconds: 60);

        checkpoint.Complete(1234, Now.AddSeconds(5));

        checkpoint.Status.Should().Be(CheckpointStatus.Completed);
        checkpoint.SizeBytes.Should().Be(1234);
        checkpoint.Time.Should().Be(Now.AddSeconds(5));
        checkpoint.ExpiresAt.Should().Be(Now.AddSeconds(65));
        checkpoint.IsVisible(Now.AddSeconds(64)).Should().BeTrue();
        checkpoint.IsVisible(Now.AddSeconds(65)).Should().BeFalse();
        FluentActions.Invoking(checkpoint.EnsureDeletable).Should().NotThrow();
    }

    [Fact]
    public void Transitions_are_guarded()
    {
        var completed = Checkpoint.CreateCompleted(Path, Now, 1);
        FluentActions.Invoking(() => completed.Complete(2, Now)).Should().Throw<DomainRuleViolationException>();
        FluentActions.Invoking(() => completed.Fail("x", Now)).Should().Throw<DomainRuleViolationException>();

        var failed = Checkpoint.CreatePending(Path, Now);
        failed.Fail("disk full", Now);
        failed.IsVisible(Now).Should().BeFalse();
        FluentActions.Invoking(failed.EnsureReadable).Should().Throw<DomainRuleViolationException>().WithMessage("*disk full*");
        FluentActions.Invoking(failed.EnsureDeletable).Should().NotThrow("a failed checkpoint can be cleaned up");

        failed.Reopen(Now, null);
        failed.Status.Should().Be(CheckpointStatus.Pending);
        FluentActions.Invoking(() => failed.Reopen(Now, null)).Should().Throw<CheckpointNotReadyException>();
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    public void Ttl_must_be_positive(long ttl)
    {
        FluentActions.Invoking(() => Checkpoint.CreatePending(Path, Now, ttl)).Should().Throw<DomainRuleViolationException>();
        FluentActions.Invoking(() => Checkpoint.CreateCompleted(Path, Now, 1).SetTtl(ttl, Now)).Should().Throw<DomainRuleViolationException>();
    }

    [Fact]
    public void Types_map_to_their_path_kinds_and_wire_names()
    {
        CheckpointType.Training.ToKind().Should().Be("weights");
        CheckpointType.Sampler.ToKind().Should().Be("sampler_weights");
        CheckpointType.Training.ToWireName().Should().Be("training");
        CheckpointTypes.ParseWireName("sampler").Should().Be(CheckpointType.Sampler);
        FluentActions.Invoking(() => CheckpointTypes.ParseWireName("Sampler")).Should().Throw<InvalidCheckpointPathException>();
    }
}
