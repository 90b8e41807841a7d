using TinkerServer.Domain.Checkpoints;
using TinkerServer.Domain.Common;
using TinkerServer.Domain.TrainingRuns;

namespace TinkerServer.Domain.Tests.Checkpoints;

public class CheckpointPathTests
{
    private static readonly TrainingRunId Run = TrainingRunId.Parse("3f2c6a1e-0000-4000-8000-000000000001:train:0");

    [Theory]
    [InlineData("tinker://run-1/weights/final", "run-1", CheckpointType.Training, "final")]
    [InlineData("tinker://run-1/sampler_weights/step_10", "run-1", CheckpointType.Sampler, "step_10")]
    [InlineData("tinker://3f2c6a1e-0000-4000-8000-000000000001:train:0/weights/a-b_c", "3f2c6a1e-0000-4000-8000-000000000001:train:0", CheckpointType.Training, "a-b_c")]
    public void Parses_canonical_tinker_paths(string input, string run, CheckpointType type, string name)
    {
        var path = CheckpointPath.ParseTinkerPath(input);

        path.TrainingRunId.Value.Should().Be(run);
        path.Type.Should().Be(type);
        path.Name.Value.Should().Be(name);
        path.TinkerPath.Should().Be(input);
    }

    [Fact]
    public void Legacy_two_part_path_is_a_sampler_checkpoint_only_where_allowed()
    {
        var path = CheckpointPath.ParseTinkerPath("tinker://run:train:1/final", allowLegacySamplerForm: true);

        path.Type.Should().Be(CheckpointType.Sampler);
        path.TinkerPath.Should().Be("tinker://run:train:1/sampler_weights/final");
        FluentActions.Invoking(() => CheckpointPath.ParseTinkerPath("tinker://run:train:1/final"))
            .Should().Throw<InvalidCheckpointPathException>();
    }

    [Theory]
    [InlineData("weights/final", null, CheckpointType.Training)]
    [InlineData("sampler_weights/final", null, CheckpointType.Sampler)]
    [InlineData("weights/final", CheckpointType.Training, CheckpointType.Training)]
    [InlineData("sampler_weights/final", CheckpointType.Sampler, CheckpointType.Sampler)]
    [InlineData("final", CheckpointType.Training, CheckpointType.Training)]
    [InlineData("final", CheckpointType.Sampler, CheckpointType.Sampler)]
    [InlineData("weights%2Ffinal", null, CheckpointType.Training)]
    [InlineData("sampler_weights%2ffinal", null, CheckpointType.Sampler)]
    public void Parses_every_route_spelling(string tail, CheckpointType? explicitType, CheckpointType expected)
    {
        var path = CheckpointPath.FromRoute(Run, tail, explicitType);

        path.Type.Should().Be(expected);
        path.Name.Value.Should().Be("final");
        path.CheckpointId.Should().Be($"{expected.ToKind()}/final");
    }

    [Fact]
    public void Bare_name_without_type_is_rejected_with_guidance()
    {
        FluentActions.Invoking(() => CheckpointPath.FromRoute(Run, "final", null))
            .Should().Throw<InvalidCheckpointPathException>()
            .WithMessage("Invalid checkpoint identifier. Expected 'weights/<name>' or 'sampler_weights/<name>'");
    }

    [Theory]
    [InlineData("weights/final", CheckpointType.Sampler)]
    [InlineData("sampler_weights/final", CheckpointType.Training)]
    public void Prefix_contradicting_the_type_is_rejected(string tail, CheckpointType explicitType) =>
        FluentActions.Invoking(() => CheckpointPath.FromRoute(Run, tail, explicitType))
            .Should().Throw<InvalidCheckpointPathException>();

    [Theory]
    [InlineData("foo/final")]
    [InlineData("Weights/final")]
    [InlineData("../final")]
    public void Unknown_prefix_is_rejected(string tail) =>
        FluentActions.Invoking(() => CheckpointPath.FromRoute(Run, tail, null))
            .Should().Throw<InvalidCheckpointPathException>();

    [Theory]
    [InlineData("weights/..")]
    [InlineData("weights/../../etc")]
    [InlineData("weights/%2e%2e")]
    [InlineData("weights/a%2fb")]
    [InlineData("weights%2F..%2F..%2Fetc")]
    [InlineData("weights/a\\b")]
    [InlineData("weights/\\etc\\passwd")]
    [InlineData("weights//etc/passwd")]
    [InlineData("weights/a\0b")]
    [InlineData("weights/a:b")]
    [InlineData("weights/")]
    [InlineData("weights/a.b")]
    [InlineData("weights/a b")]
    [InlineData("weights/é")]
    [InlineData("..")]
    [InlineData("%2e%2e")]
    [InlineData("/etc/passwd")]
    public void Invalid_names_are_rejected_before_any_storage_is_touched(string tail)
    {
        var act = () => CheckpointPath.FromRoute(Run, tail, CheckpointType.Training);

        act.Should().Throw<DomainException>()
            .Which.Should().Match<DomainException>(e => e is InvalidIdentifierException || e is InvalidCheckpointPathException);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a%2fb")]
    [InlineData("a:b")]
    [InlineData("a\0b")]
    public void Invalid_bare_names_are_422_even_without_a_type(string tail) =>
        FluentActions.Invoking(() => CheckpointPath.FromRoute(Run, tail, null))
            .Should().Throw<InvalidIdentifierException>();

    [Fact]
    public void Over_long_and_empty_identifiers_are_rejected()
    {
        FluentActions.Invoking(() => CheckpointPath.FromRoute(Run, "weights/" + new string('a', 256), null))
            .Should().Throw<InvalidIdentifierException>();
        FluentActions.Invoking(() => CheckpointPath.FromRoute(Run, new string('a', 5000), null))
            .Should().Throw<InvalidIdentifierException>();
        FluentActions.Invoking(() => CheckpointPath.FromRoute(Run, "", null))
            .Should().Throw<InvalidIdentifierException>();
        CheckpointPath.FromRoute(Run, "weights/" + new string('a', 255), null).Name.Value.Should().HaveLength(255);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tinker://")]
    [InlineData("tinker://run")]
    [InlineData("tinker://run/weights")]
    [InlineData("tinker://run/weights/a/b")]
    [InlineData("tinker://run/models/a")]
    [InlineData("tinker:///weights/a")]
    [InlineData("tinker://../weights/a")]
    [InlineData("tinker://run/weights/..")]
    [InlineData("tinker://run/weights/%2e%2e")]
    [InlineData("tinker://run\\x/weights/a")]
    [InlineData("tinker://run/weights/a\0")]
    [InlineData("http://run/weights/a")]
    [InlineData("/abs/run/weights/a")]
    [InlineData("TINKER://run/weights/a")]
    public void Invalid_tinker_paths_are_rejected(string input) =>
        FluentActions.Invoking(() => CheckpointPath.ParseTinkerPath(input, allowLegacySamplerForm: true))
            .Should().Throw<DomainException>();

    [Fact]
    public void Run_ids_accept_colons_but_names_do_not()
    {
        TrainingRunId.TryParse("abc:train:0", out _).Should().BeTrue();
        CheckpointName.TryParse("abc:0", out _).Should().BeFalse();
    }
}
