using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Domain.TrainingRuns;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Storage;

public sealed class PathGuardTests
{
    private static readonly string Root = PathGuard.NormalizeRoot(Path.Join(Path.GetTempPath(), "guard-root"));

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("a/../../x")]
    [InlineData("a\0b")]
    public void Components_that_are_not_plain_names_are_refused(string component)
    {
        var resolve = () => PathGuard.Resolve(Root, ["run", component]);

        resolve.Should().Throw<ArtifactPathEscapeException>();
    }

    [Fact]
    public void Absolute_component_is_refused()
    {
        var resolve = () => PathGuard.Resolve(Root, [Path.GetFullPath("/etc")]);

        resolve.Should().Throw<ArtifactPathEscapeException>();
    }

    [Fact]
    public void Plain_components_resolve_below_the_root()
    {
        PathGuard.Resolve(Root, ["run%3A0", "sampler_weights", "x.tar.gz"])
            .Should().Be(Path.Join(Root, "run%3A0", "sampler_weights", "x.tar.gz"));
    }

    [Fact]
    public void A_sibling_sharing_the_root_prefix_is_not_under_the_root()
    {
        PathGuard.IsStrictlyUnder(Root, Root + "2" + Path.DirectorySeparatorChar + "x").Should().BeFalse();
        PathGuard.IsStrictlyUnder(Root, Root).Should().BeFalse();
        PathGuard.IsStrictlyUnder(Root, Path.GetDirectoryName(Root)!).Should().BeFalse();
        PathGuard.IsStrictlyUnder(Root, Path.Join(Root, "x")).Should().BeTrue();
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("3f2c:train:0", "3f2c%3Atrain%3A0")]
    [InlineData("::", "%3A%3A")]
    [InlineData("a-3A-b", "a-3A-b")]
    public void Run_directory_names_encode_colons_and_decode_back(string runId, string directory)
    {
        RunDirectoryName.Encode(TrainingRunId.Parse(runId)).Should().Be(directory);
        RunDirectoryName.TryDecode(directory, out var decoded).Should().BeTrue();
        decoded.Value.Should().Be(runId);
    }

    [Theory]
    [InlineData("a%3ab")]
    [InlineData("a:b")]
    [InlineData("a%25b")]
    [InlineData("a%3")]
    [InlineData(".staging")]
    [InlineData(".trash")]
    [InlineData("has space")]
    public void Non_canonical_or_foreign_directory_names_are_not_run_directories(string directory)
    {
        RunDirectoryName.TryDecode(directory, out _).Should().BeFalse();
    }
}
