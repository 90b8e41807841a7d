using TinkerServer.Api.Wire;

namespace TinkerServer.Api.Tests.Wire;

public class WireContentTypesTests
{
    [Theory]
    [InlineData("application/x-protobuf", true)]
    [InlineData("application/x-protobuf, application/json", true)]
    [InlineData("Application/X-Protobuf;q=0.9", true)]
    [InlineData("application/json", false)]
    [InlineData("*/*", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Protobuf_is_chosen_only_when_accept_names_it(string? accept, bool expected)
    {
        WireContentTypes.AcceptsProtobuf(accept).Should().Be(expected);
    }

    [Theory]
    [InlineData("loss:sum", true)]
    [InlineData("tokens:mean", true)]
    [InlineData("clip_fraction:slack", true)]
    [InlineData("ids:hash_unordered", true)]
    [InlineData("ids:unique", true)]
    [InlineData("grad_norm:min", true)]
    [InlineData("grad_norm:max", true)]
    [InlineData("loss", false)]
    [InlineData("loss:", false)]
    [InlineData(":sum", false)]
    [InlineData("a:b:sum", false)]
    [InlineData("loss:Sum", false)]
    [InlineData("loss:median", false)]
    [InlineData("", false)]
    public void Metric_keys_must_be_name_colon_known_reduction(string key, bool valid)
    {
        MetricKeys.IsValid(key).Should().Be(valid);
    }

    [Fact]
    public void Valid_metrics_come_back_sorted_and_the_dropped_keys_are_reported()
    {
        var metrics = new Dictionary<string, double> { ["z:sum"] = 1, ["bad"] = 2, ["a:mean"] = 3, ["x:y:max"] = 4 };

        var valid = MetricKeys.Valid(metrics, out var dropped);

        valid.Select(p => p.Key).Should().Equal("a:mean", "z:sum");
        dropped.Should().Equal("bad", "x:y:max");
    }
}
